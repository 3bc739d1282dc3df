"""LEGATO_KAFKA_SECURITY_* -> librdkafka properties; bad combinations name the variable; no secret leaks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legato_protocol.kafka_security import KafkaSecurity, KafkaSecurityError

pytestmark = pytest.mark.unit

SASL = {
    "LEGATO_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "LEGATO_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "LEGATO_KAFKA_SASL_USERNAME": "legato",
    "LEGATO_KAFKA_SASL_PASSWORD": "pa55-word",
    "LEGATO_KAFKA_SSL_CA_FILE": "/certs/ca.pem",
}


def test_default_is_plaintext() -> None:
    assert KafkaSecurity.from_env({}).librdkafka_config() == {"security.protocol": "PLAINTEXT"}


def test_sasl_ssl_maps_to_librdkafka() -> None:
    assert KafkaSecurity.from_env(SASL).librdkafka_config() == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "legato",
        "sasl.password": "pa55-word",
        "ssl.ca.location": "/certs/ca.pem",
    }


def test_mutual_tls() -> None:
    security = KafkaSecurity.from_env(
        {
            "LEGATO_KAFKA_SECURITY_PROTOCOL": " ssl ",
            "LEGATO_KAFKA_SSL_CERT_FILE": "/certs/client.pem",
            "LEGATO_KAFKA_SSL_KEY_FILE": "/certs/client.key",
        }
    )
    assert security.librdkafka_config() == {
        "security.protocol": "SSL",
        "ssl.certificate.location": "/certs/client.pem",
        "ssl.key.location": "/certs/client.key",
    }


def test_lower_case_names_and_blank_values() -> None:
    env = {**SASL, "LEGATO_KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "LEGATO_KAFKA_SASL_MECHANISM": "plain"}
    env["LEGATO_KAFKA_SSL_CA_FILE"] = "   "
    config = KafkaSecurity.from_env(env).librdkafka_config()
    assert (config["security.protocol"], config["sasl.mechanisms"]) == ("SASL_PLAINTEXT", "PLAIN")
    assert "ssl.ca.location" not in config


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"LEGATO_KAFKA_SECURITY_PROTOCOL": "TLS"}, "LEGATO_KAFKA_SECURITY_PROTOCOL"),
        ({"LEGATO_KAFKA_SASL_MECHANISM": "GSSAPI"}, "LEGATO_KAFKA_SASL_MECHANISM"),
        ({"LEGATO_KAFKA_SASL_MECHANISM": ""}, "LEGATO_KAFKA_SASL_MECHANISM"),
        ({"LEGATO_KAFKA_SASL_USERNAME": " "}, "LEGATO_KAFKA_SASL_USERNAME"),
        ({"LEGATO_KAFKA_SASL_PASSWORD": ""}, "LEGATO_KAFKA_SASL_PASSWORD"),
        ({"LEGATO_KAFKA_SSL_CERT_FILE": "/c.pem"}, "LEGATO_KAFKA_SSL_KEY_FILE"),
        ({"LEGATO_KAFKA_SSL_KEY_FILE": "/c.key"}, "LEGATO_KAFKA_SSL_CERT_FILE"),
    ],
)
def test_invalid_combinations_name_the_variable(change: dict[str, str], variable: str) -> None:
    with pytest.raises(KafkaSecurityError, match=variable):
        KafkaSecurity.from_env({**SASL, **change})


@given(password=st.text(min_size=1).filter(lambda p: p.strip()))
def test_password_never_in_repr_or_str(password: str) -> None:
    security = KafkaSecurity.from_env({**SASL, "LEGATO_KAFKA_SASL_PASSWORD": password})
    other = KafkaSecurity.from_env(SASL)
    # what is shown does not depend on the password at all
    assert repr(security) == repr(other) and str(security) == str(other)
    assert "sasl_password='***'" in repr(security)
