"""Unit tests of API keys, trigger tokens and their hashing."""
import hashlib
import re

import pytest
from chalice.app import CaseInsensitiveMapping

from chalicelib.identity import tokens

URLSAFE_43 = re.compile(r"[A-Za-z0-9_-]{43}")


# --- issuing ---------------------------------------------------------------

def test_api_key_shape():
    key_id, token = tokens.new_api_key()
    assert token.startswith("sreak_")
    assert re.fullmatch(r"[0-9a-f]{16}", key_id)
    assert token[len("sreak_"):len("sreak_") + 16] == key_id
    secret = token[len("sreak_") + 16:]
    assert URLSAFE_43.fullmatch(secret)  # token_urlsafe(32): 256 random bits


def test_trigger_token_shape():
    token = tokens.new_trigger_token()
    assert token.startswith("srett_")
    assert URLSAFE_43.fullmatch(token[len("srett_"):])


def test_api_key_and_trigger_token_prefixes_differ():
    assert not tokens.new_trigger_token().startswith("sreak_")
    assert not tokens.new_api_key()[1].startswith("srett_")


def test_tokens_are_never_equal():
    api_keys = [tokens.new_api_key() for _ in range(200)]
    assert len({t for _, t in api_keys}) == 200
    assert len({k for k, _ in api_keys}) == 200
    # The secret parts differ too, not only the key ids.
    assert len({t[len("sreak_") + 16:] for _, t in api_keys}) == 200
    assert len({tokens.new_trigger_token() for _ in range(200)}) == 200


def test_new_id_is_random_hex():
    ids = {tokens.new_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    assert re.fullmatch(r"[0-9a-f]{8}", tokens.new_id(4))


# --- hashing and matching --------------------------------------------------

def test_hash_token_is_sha256_hex_and_not_the_token():
    token = tokens.new_trigger_token()
    digest = tokens.hash_token(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert token not in digest
    assert token[len("srett_"):] not in digest
    assert tokens.hash_token(token) == digest  # stable
    assert tokens.hash_token(token + "x") != digest


def test_hash_token_known_vector():
    assert tokens.hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_matches_the_right_token_only():
    token = tokens.new_trigger_token()
    stored = tokens.hash_token(token)
    assert tokens.matches(token, stored)
    assert not tokens.matches(token[:-1], stored)
    assert not tokens.matches(token + "A", stored)
    assert not tokens.matches(token.upper(), stored)
    assert not tokens.matches("", stored)


def test_rotated_token_no_longer_matches():
    old = tokens.new_trigger_token()
    new = tokens.new_trigger_token()
    stored = tokens.hash_token(new)  # after rotation only the new hash is kept
    assert tokens.matches(new, stored)
    assert not tokens.matches(old, stored)


@pytest.mark.parametrize("stored", ["", None])
def test_empty_stored_hash_never_matches(stored):
    assert not tokens.matches(tokens.new_trigger_token(), stored)
    assert not tokens.matches("", stored)


def test_the_hash_itself_is_not_accepted_as_the_token():
    token = tokens.new_trigger_token()
    stored = tokens.hash_token(token)
    assert not tokens.matches(stored, stored)


# --- api_key_id ------------------------------------------------------------

def test_api_key_id_extracts_the_embedded_id():
    key_id, token = tokens.new_api_key()
    assert tokens.api_key_id(token) == key_id


@pytest.mark.parametrize("token", [
    "",
    "sreak_",
    "sreak_0123456789abcdef",                       # id but no secret
    "sreak_0123456789abcdef" + "A" * 42,            # secret one character short
    "sreak_short",
    "ghp_0123456789abcdef" + "A" * 43,              # someone else's token
    "SREAK_0123456789abcdef" + "A" * 43,            # prefix is case-sensitive
    "Bearer sreak_0123456789abcdef" + "A" * 43,
])
def test_api_key_id_is_none_for_foreign_or_short_tokens(token):
    assert tokens.api_key_id(token) is None


def test_api_key_id_of_a_trigger_token_is_none():
    assert tokens.api_key_id(tokens.new_trigger_token()) is None


def test_api_key_id_accepts_minimum_length():
    assert tokens.api_key_id("sreak_0123456789abcdef" + "A" * 43) == "0123456789abcdef"


# --- hint ------------------------------------------------------------------

def test_hint_shows_only_the_last_four_characters():
    token = tokens.new_trigger_token()
    hint = tokens.hint(token)
    assert hint == "…" + token[-4:]
    assert hint.endswith(token[-4:])
    assert token[-5:] not in hint
    assert "srett_" not in hint
    assert len(hint) == 5


# --- bearer ----------------------------------------------------------------

@pytest.mark.parametrize("value", ["Bearer abc123", "bearer abc123", "BEARER abc123", "Bearer  abc123 "])
def test_bearer_parses_the_scheme_case_insensitively(value):
    assert tokens.bearer({"authorization": value}) == "abc123"


def test_bearer_with_a_real_request_headers_mapping():
    headers = CaseInsensitiveMapping({"Authorization": "Bearer sreak_x"})
    assert tokens.bearer(headers) == "sreak_x"


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Token abc", "abc", "Bearer", "Bearer ", "Bearer    ",
                                   "", "Bearerabc", "Bearer:abc"])
def test_bearer_is_none_for_other_schemes_or_empty(value):
    assert tokens.bearer({"authorization": value}) is None


@pytest.mark.parametrize("headers", [None, {}, {"x-api-key": "Bearer abc"}, {"authorization": None}])
def test_bearer_is_none_without_an_authorization_header(headers):
    assert tokens.bearer(headers) is None
