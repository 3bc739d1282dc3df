"""How a Legato process reaches a secured Kafka: the LEGATO_KAFKA_SECURITY_* contract.

Shared by the worker SDK and the orchestrator, so every Python Kafka client of the project reads
the same variables the same way:

    from legato_protocol.kafka_security import KafkaSecurity

    security = KafkaSecurity.from_env()       # LEGATO_KAFKA_SECURITY_PROTOCOL, ..._SASL_*, ..._SSL_*
    producer = Producer({"bootstrap.servers": ..., **security.librdkafka_config()})

The SASL password never appears in `repr()` (masked as `***`); the key is only ever a file path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from legato_protocol.env import Env

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
MASK = "***"

PROTOCOL_VAR = "LEGATO_KAFKA_SECURITY_PROTOCOL"
MECHANISM_VAR = "LEGATO_KAFKA_SASL_MECHANISM"
USERNAME_VAR = "LEGATO_KAFKA_SASL_USERNAME"
PASSWORD_VAR = "LEGATO_KAFKA_SASL_PASSWORD"
CA_FILE_VAR = "LEGATO_KAFKA_SSL_CA_FILE"
CERT_FILE_VAR = "LEGATO_KAFKA_SSL_CERT_FILE"
KEY_FILE_VAR = "LEGATO_KAFKA_SSL_KEY_FILE"


class KafkaSecurityError(ValueError):
    """An invalid security setting; the message names the variable."""


@dataclass(frozen=True, repr=False)
class KafkaSecurity:
    """TLS and SASL settings of one Kafka client; the default is PLAINTEXT."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_ca_file: str | None = None
    ssl_cert_file: str | None = None
    ssl_key_file: str | None = None

    def __post_init__(self) -> None:
        protocol = self.protocol.strip().upper()
        if protocol not in PROTOCOLS:
            raise KafkaSecurityError(
                f"{PROTOCOL_VAR} must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}"
            )
        object.__setattr__(self, "protocol", protocol)
        if self.sasl_mechanism is not None:
            mechanism = self.sasl_mechanism.strip().upper()
            if mechanism not in SASL_MECHANISMS:
                raise KafkaSecurityError(
                    f"{MECHANISM_VAR} must be one of {', '.join(SASL_MECHANISMS)},"
                    f" got {self.sasl_mechanism!r}"
                )
            object.__setattr__(self, "sasl_mechanism", mechanism)
        if self.uses_sasl:
            for name, value in (
                (MECHANISM_VAR, self.sasl_mechanism),
                (USERNAME_VAR, self.sasl_username),
                (PASSWORD_VAR, self.sasl_password),
            ):
                if not value:
                    raise KafkaSecurityError(f"{name} is required when {PROTOCOL_VAR} is {protocol}")
        if bool(self.ssl_cert_file) != bool(self.ssl_key_file):
            missing = KEY_FILE_VAR if self.ssl_cert_file else CERT_FILE_VAR
            raise KafkaSecurityError(
                f"{missing} is required: mutual TLS needs both {CERT_FILE_VAR} and {KEY_FILE_VAR}"
            )

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.protocol.endswith("SSL")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KafkaSecurity:
        """Read the LEGATO_KAFKA_SECURITY_PROTOCOL / _SASL_* / _SSL_* variables (default os.environ)."""
        env = Env(os.environ if environ is None else environ)
        return cls(
            protocol=env.text(PROTOCOL_VAR, "PLAINTEXT"),
            sasl_mechanism=env.get(MECHANISM_VAR),
            sasl_username=env.get(USERNAME_VAR),
            sasl_password=env.get(PASSWORD_VAR),
            ssl_ca_file=env.get(CA_FILE_VAR),
            ssl_cert_file=env.get(CERT_FILE_VAR),
            ssl_key_file=env.get(KEY_FILE_VAR),
        )

    def librdkafka_config(self) -> dict[str, str]:
        """The librdkafka properties (confluent-kafka config keys) for these settings."""
        config = {"security.protocol": self.protocol}
        if self.uses_sasl:
            assert self.sasl_mechanism and self.sasl_username and self.sasl_password
            config["sasl.mechanisms"] = self.sasl_mechanism
            config["sasl.username"] = self.sasl_username
            config["sasl.password"] = self.sasl_password
        if self.uses_tls:
            if self.ssl_ca_file:
                config["ssl.ca.location"] = self.ssl_ca_file
            if self.ssl_cert_file and self.ssl_key_file:
                config["ssl.certificate.location"] = self.ssl_cert_file
                config["ssl.key.location"] = self.ssl_key_file
        return config

    def __repr__(self) -> str:
        password = None if self.sasl_password is None else MASK
        return (
            f"KafkaSecurity(protocol={self.protocol!r}, sasl_mechanism={self.sasl_mechanism!r},"
            f" sasl_username={self.sasl_username!r}, sasl_password={password!r},"
            f" ssl_ca_file={self.ssl_ca_file!r}, ssl_cert_file={self.ssl_cert_file!r},"
            f" ssl_key_file={self.ssl_key_file!r})"
        )

    __str__ = __repr__
