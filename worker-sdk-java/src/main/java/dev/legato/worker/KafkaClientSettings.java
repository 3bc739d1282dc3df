package dev.legato.worker;

import dev.legato.worker.internal.kafka.KafkaClients;
import dev.legato.worker.internal.kafka.KafkaSecurity;

/** The worker's settings as its Kafka clients take them (the internals never see the API). */
final class KafkaClientSettings {
  private KafkaClientSettings() {}

  static KafkaClients.Config of(WorkerSettings settings) {
    return new KafkaClients.Config(
        settings.bootstrapServers(),
        settings.workerId(),
        settings.groupPrefix(),
        settings.concurrency(),
        settings.maxPayloadBytes(),
        settings.sessionTimeout(),
        settings.maxPollInterval(),
        security(settings));
  }

  static KafkaSecurity.Settings security(WorkerSettings settings) {
    return new KafkaSecurity.Settings(
        settings.securityProtocol(),
        settings.saslMechanism(),
        settings.saslUsername(),
        settings.saslPassword(),
        KafkaSecurity.PemFile.of(settings.sslCaFile(), WorkerSettings.SSL_CA_FILE),
        KafkaSecurity.PemFile.of(settings.sslCertFile(), WorkerSettings.SSL_CERT_FILE),
        KafkaSecurity.PemFile.of(settings.sslKeyFile(), WorkerSettings.SSL_KEY_FILE));
  }
}
