"""Amazon SNS's HTTP(S) deliveries: the JSON envelope (sent as text/plain),
its RSA signature, and the SNS URLs it names.

The signature (SignatureVersion 1: SHA1, 2: SHA256; RSA PKCS#1 v1.5) is over
`Key\\nValue\\n` lines of the decoded values, in SIGNED_KEYS' order for the
message's type, absent keys skipped. The key is the certificate at
`SigningCertURL`, which must be https on `sns.<region>.amazonaws.com` (or
`.com.cn`) with a path ending `.pem`, checked before anything is fetched.
That certificate is trusted because it comes over verified TLS from SNS's
own host (as AWS's own validators do); it must also be within its validity
period. Certificates are kept per URL in the process (SNS reuses them).

SNS_CERT_BASE_URL (tests, the local stack) fetches certificates and
subscription URLs from another base, same path and query; the host rule is
still checked on the URL in the message."""
import base64
import functools
import re
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib import settings
from chalicelib.errors import Invalid, Unauthorized, Unavailable
from chalicelib.ops.vendors.base import json_body

_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_KEYS = {"Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
               "SubscriptionConfirmation": _CONFIRMATION, "UnsubscribeConfirmation": _CONFIRMATION}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
SNS_HOST = re.compile(r"sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?")
FETCH_SECONDS = 5
MAX_CERT_BYTES = 65536


def envelope(request) -> dict:
    """The SNS message of a delivery (its body is JSON whatever its Content-Type says)."""
    message = json_body(request)
    if message.get("Type") not in SIGNED_KEYS:
        raise Invalid(f"Type must be one of {', '.join(SIGNED_KEYS)}: is this an SNS delivery, with raw message "
                      "delivery off?", field="Type")
    return message


def verify(message: dict, now) -> None:
    """Unauthorized unless SNS signed this message (`now`: an aware datetime)."""
    version = message.get("SignatureVersion")
    if version not in HASHES:
        raise Unauthorized(f"SignatureVersion must be 1 or 2; got {str(version)[:8]!r}")
    try:
        signature = base64.b64decode(message.get("Signature") or "", validate=True)
    except (ValueError, TypeError):
        signature = b""
    if not signature:
        raise Unauthorized("The SNS message has no valid Signature")
    url = message.get("SigningCertURL")
    if not on_sns(url, pem=True):
        raise Unauthorized(f"SigningCertURL must be an https .pem URL on sns.<region>.amazonaws.com; "
                           f"got {str(url)[:200]!r}")
    cert = certificate(fetch_url(url))
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise Unauthorized("The SNS signing certificate is not valid now")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Unauthorized("The SNS signing certificate has no RSA key")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), HASHES[version]())
    except InvalidSignature:
        raise Unauthorized("The SNS message's signature does not verify") from None


def string_to_sign(message: dict) -> bytes:
    """The bytes SNS signed: `Key\\nValue\\n` for each signed key present."""
    return "".join(f"{key}\n{message[key]}\n" for key in SIGNED_KEYS[message["Type"]] if key in message).encode()


def on_sns(url, pem: bool = False) -> bool:
    """An https URL on an SNS host (and, for a certificate, a `.pem` path)."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        port = parts.port if parts else None
    except ValueError:
        return False
    return bool(parts and parts.scheme == "https" and SNS_HOST.fullmatch(parts.hostname or "")
                and port in (None, 443) and not parts.username and (not pem or parts.path.endswith(".pem")))


def fetch_url(url: str) -> str:
    """Where to fetch an SNS URL from: itself, or the same path under SNS_CERT_BASE_URL."""
    base = settings.current().sns_cert_base_url.rstrip("/")
    if not base:
        return url
    parts = urlsplit(url)
    return base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def confirm(url: str) -> None:
    """GET a subscription's SubscribeURL; Unavailable when SNS does not say yes (SNS sends the confirmation again)."""
    try:
        response = requests.get(url, timeout=FETCH_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        raise Unavailable(f"Could not confirm the SNS subscription: {exc}") from exc
    if response.status_code != 200:
        raise Unavailable(f"SNS did not confirm the subscription (HTTP {response.status_code}); it will ask again")


@functools.lru_cache(maxsize=16)
def certificate(url: str) -> x509.Certificate:
    """The certificate at a URL, fetched once per process (a failure is not kept)."""
    try:
        response = requests.get(url, timeout=FETCH_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        raise Unavailable(f"Could not fetch the SNS signing certificate: {exc}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise Unavailable(f"The SNS signing certificate could not be fetched now (HTTP {response.status_code})")
    if response.status_code != 200 or len(response.content) > MAX_CERT_BYTES:
        raise Unauthorized(f"No SNS signing certificate at SigningCertURL (HTTP {response.status_code})")
    try:
        return x509.load_pem_x509_certificate(response.content)
    except ValueError as exc:
        raise Unauthorized("SigningCertURL is not a PEM certificate") from exc
