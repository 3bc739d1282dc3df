import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import { SettingsError } from "../../src/errors.js";
import { loadSettings } from "../../src/settings.js";
import { clientBase, groupTiming } from "../../src/worker/kafka.js";

function pemFiles(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "legato-pem-"));
  const files = { ca: join(dir, "ca.pem"), cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  writeFileSync(files.ca, "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  writeFileSync(files.cert, "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n");
  writeFileSync(
    files.key,
    "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEY\n-----END PRIVATE KEY-----\n",
  );
  return files;
}

describe("Kafka client options", () => {
  it("PLAINTEXT: no tls, no sasl", () => {
    const base = clientBase(loadSettings({ LEGATO_WORKER_ID: "w" }));
    assert.deepEqual(base, { clientId: "legato-node-w", bootstrapBrokers: ["localhost:9092"] });
  });

  it("SASL_SSL: reads the PEM files into tls and hands the password through a function", async () => {
    const files = pemFiles();
    const base = clientBase(
      loadSettings({
        LEGATO_KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
        LEGATO_KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
        LEGATO_KAFKA_SASL_USERNAME: "legato",
        LEGATO_KAFKA_SASL_PASSWORD: "pa55word",
        LEGATO_KAFKA_SSL_CA_FILE: files.ca,
        LEGATO_KAFKA_SSL_CERT_FILE: files.cert,
        LEGATO_KAFKA_SSL_KEY_FILE: files.key,
      }),
    );
    assert.match(String(base.tls?.ca), /CA/);
    assert.match(String(base.tls?.cert), /CERT/);
    assert.match(String(base.tls?.key), /TOPSECRETKEY/);
    assert.equal(base.sasl?.mechanism, "SCRAM-SHA-512");
    assert.equal(base.sasl?.username, "legato");
    const password = base.sasl?.password;
    assert.equal(typeof password, "function");
    assert.equal(await (password as () => string)(), "pa55word");
    assert.ok(!inspect(base, { depth: 10 }).includes("pa55word"));
  });

  it("SSL without a CA file uses the system CAs (an empty tls object)", () => {
    const base = clientBase(loadSettings({ LEGATO_KAFKA_SECURITY_PROTOCOL: "ssl" }));
    assert.deepEqual(base.tls, {});
    assert.equal(base.sasl, undefined);
  });

  it("an unreadable PEM file fails at construction, naming the variable", () => {
    assert.throws(
      () =>
        clientBase(
          loadSettings({
            LEGATO_KAFKA_SECURITY_PROTOCOL: "SSL",
            LEGATO_KAFKA_SSL_CA_FILE: "/nonexistent/ca.pem",
          }),
        ),
      (error: unknown) =>
        error instanceof SettingsError && error.message.includes("LEGATO_KAFKA_SSL_CA_FILE"),
    );
  });

  it("the consumer gets the session timeout, max poll interval and a heartbeat <= 1 s", () => {
    const timing = (env: Record<string, string>): unknown => groupTiming(loadSettings(env));
    assert.deepEqual(
      timing({ LEGATO_SESSION_TIMEOUT_MS: "6000", LEGATO_MAX_POLL_INTERVAL_MS: "20000" }),
      { sessionTimeout: 6000, rebalanceTimeout: 20000, heartbeatInterval: 1000 },
    );
    assert.deepEqual(
      timing({ LEGATO_SESSION_TIMEOUT_MS: "1500", LEGATO_MAX_POLL_INTERVAL_MS: "1000" }),
      { sessionTimeout: 1500, rebalanceTimeout: 1500, heartbeatInterval: 500 },
    );
  });
});
