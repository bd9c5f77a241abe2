"""Calls to the operator's model endpoint (sre_agent.net.endpoint) over real
TLS on 127.0.0.1: the certificate checked against the CA bundle the
environment names, and through an HTTPS proxy (CONNECT) as requests and
botocore did; and the whole-call deadline of the guarded client against a
server that closes the connection after its reply (HTTP/1.0)."""
import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sre_agent.net import endpoint, http
from sre_agent.settings import Outbound
from tests.servers import slow

REPLY = {"choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}]}


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for model.test and 127.0.0.1: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "model.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("model.test"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "model.pem", tmp_path / "model.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


@contextmanager
def tls_model(certificate, seen: list):
    """A Chat Completions stand-in over TLS on 127.0.0.1; yields its port."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append((self.path, self.headers.get("Host"), json.loads(self.rfile.read(
                int(self.headers["Content-Length"])))))
            data = json.dumps(REPLY).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def connect_proxy(port: int, asked: list):
    """An HTTPS proxy on 127.0.0.1: notes each CONNECT target and tunnels it
    to 127.0.0.1:`port` (the names it is asked for resolve nowhere else)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    done = threading.Event()

    def pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            target.close()

    def serve():
        while not done.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(4096)
            asked.append(head.split(b"\r\n", 1)[0].decode())
            upstream = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join()
        listener.close()


@pytest.fixture
def no_proxy_settings(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
                 "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_tls_is_verified_against_the_named_ca_bundle(certificate, monkeypatch, no_proxy_settings):
    seen = []
    with tls_model(certificate, seen) as port:
        url = f"https://127.0.0.1:{port}/v1/chat/completions"
        with pytest.raises(ssl.SSLCertVerificationError):  # certifi's bundle does not know this certificate
            endpoint.send(url, "POST", {"Content-Type": "application/json"}, b"{}", deadline=5)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
        result = endpoint.send(url, "POST", {"Content-Type": "application/json"}, b'{"model": "m"}', deadline=5)
    assert result.status == 200 and json.loads(result.body) == REPLY
    assert seen == [("/v1/chat/completions", f"127.0.0.1:{port}", {"model": "m"})]


def test_https_goes_through_the_proxy_the_environment_names(certificate, monkeypatch, no_proxy_settings):
    """HTTPS_PROXY: a CONNECT to the endpoint's name, then TLS with the
    endpoint itself (its certificate checked for that name)."""
    seen, asked = [], []
    with tls_model(certificate, seen) as port, connect_proxy(port, asked) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
        result = endpoint.send(f"https://model.test:{port}/v1/chat/completions", "POST",
                               {"Content-Type": "application/json"}, b'{"model": "m"}', deadline=5)
        assert result.status == 200
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # named in NO_PROXY: straight to it
        assert endpoint.send(f"https://127.0.0.1:{port}/v1/chat/completions", "POST", {}, b"{}", deadline=5).status \
            == 200
    assert [line.rsplit(" ", 1)[0] for line in asked] == [f"CONNECT model.test:{port}"]  # model.test never resolved
    assert [(path, host) for path, host, _ in seen] == [("/v1/chat/completions", f"model.test:{port}"),
                                                        ("/v1/chat/completions", f"127.0.0.1:{port}")]


@pytest.mark.parametrize("call", ["guarded", "endpoint"])
def test_the_whole_call_deadline_holds_when_the_server_closes_after_its_reply(call, no_proxy_settings):
    """An HTTP/1.0 server (the connection closes after the reply) trickling
    its body: http.client lets go of the socket once such a reply begins;
    the deadline still ends the read at 1 s (it took the whole trickle before)."""
    with slow(b"x" * 60, per_byte=0.1) as url:
        started = time.monotonic()
        with pytest.raises(http.DeadlinePassed, match="no complete answer within 1 s"):
            if call == "guarded":
                http.request(url, Outbound(allow_loopback=True), "POST", body=b"{}", deadline=1.0)
            else:
                endpoint.send(url, "POST", {}, b"{}", deadline=1.0)
    assert time.monotonic() - started < 2.0
