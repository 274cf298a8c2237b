"""Guessing API keys is throttled per address: authentication runs before DRF's throttles, so without
this an invalid key was never counted and every guess cost a lookup on the primary."""

from rest_framework.test import APIClient

from tests.support.stack import on_stack

pytestmark = on_stack

GUESS = "Api-Key hmis_guess_0000000000000000000000000000"


def guesser(address: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=GUESS)
    return client


def test_invalid_keys_from_one_address_are_refused_unchecked_past_the_limit(settings, api_as):
    settings.API_KEY_FAILURE_RATE = "3/min"
    attacker = guesser("198.51.100.7")
    answers = [attacker.get("/api/v1/patients/").status_code for _ in range(3)]
    assert answers == [401, 401, 401]
    refused = attacker.get("/api/v1/patients/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "errors" in refused.json()
    # Even a valid key is not checked from that address until the window ends (a guess that happens to be
    # right must not be told so) ...
    valid = api_as("clinician")
    valid.defaults["REMOTE_ADDR"] = "198.51.100.7"
    assert valid.get("/api/v1/patients/").status_code == 429
    # ... while other addresses are unaffected, with an invalid key or a valid one.
    assert guesser("198.51.100.8").get("/api/v1/patients/").status_code == 401
    valid.defaults["REMOTE_ADDR"] = "198.51.100.9"
    assert valid.get("/api/v1/patients/").status_code == 200


def test_malformed_keys_count_as_guesses(settings):
    settings.API_KEY_FAILURE_RATE = "2/min"
    client = APIClient(REMOTE_ADDR="203.0.113.5")
    client.credentials(HTTP_AUTHORIZATION="Api-Key short")
    assert [client.get("/api/v1/patients/").status_code for _ in range(3)] == [401, 401, 429]
