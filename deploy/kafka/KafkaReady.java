/*
 * Readiness probe + topic bootstrap for the Legato local Kafka broker.
 *
 *   java -cp "$LEGATO_HOME/kafka/classes:$LEGATO_HOME/kafka/libs/*" KafkaReady \
 *        BOOTSTRAP TIMEOUT_SECONDS [TOPIC:PARTITIONS ...]
 *
 * Waits (bounded) until the broker answers a metadata request (describeCluster + listTopics),
 * and, with -Dlegato.kafka.brokers=N, until the cluster has N brokers; then creates each listed topic
 * that is missing, with the cluster's default replication factor, and (N > 1) waits until every
 * partition's replicas are all in sync. Exit 0 when the cluster is ready
 * and every listed topic exists, 1 otherwise. Compiled by deploy/stack.sh install.
 * Client settings (security) are read from the properties file named by the system property
 * legato.kafka.client.config, when it exists (deploy/stack.sh writes kafka-client.properties).
 */
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

public final class KafkaReady {
    private KafkaReady() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: KafkaReady BOOTSTRAP TIMEOUT_SECONDS [TOPIC:PARTITIONS ...]");
            System.exit(2);
        }
        String bootstrap = args[0];
        int brokers = Integer.getInteger("legato.kafka.brokers", 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
        List<NewTopic> wanted = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] spec = args[i].split(":", 2);
            wanted.add(new NewTopic(spec[0], Optional.of(Integer.parseInt(spec[1])), Optional.empty()));
        }

        Properties props = clientConfig();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "legato-stack-probe");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);

        String lastError = "no answer";
        try (Admin admin = Admin.create(props)) {
            while (System.nanoTime() < deadline) {
                try {
                    int nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                    Set<String> existing = admin.listTopics().names().get(5, TimeUnit.SECONDS);
                    if (nodes < brokers) {
                        throw new IllegalStateException("cluster has " + nodes + " of " + brokers + " brokers");
                    }
                    List<NewTopic> missing = new ArrayList<>();
                    for (NewTopic t : wanted) {
                        if (!existing.contains(t.name())) {
                            missing.add(t);
                        }
                    }
                    for (NewTopic t : missing) {
                        try {
                            admin.createTopics(List.of(t)).all().get(10, TimeUnit.SECONDS);
                            System.out.println("created topic " + t.name() + " (" + t.numPartitions() + " partitions)");
                        } catch (ExecutionException e) {
                            if (!(e.getCause() instanceof TopicExistsException)) {
                                throw e;
                            }
                        }
                    }
                    if (brokers > 1) {
                        inSync(admin);
                    }
                    return;
                } catch (Exception e) {
                    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                    lastError = cause.getClass().getSimpleName() + ": " + cause.getMessage();
                    Thread.sleep(250);
                }
            }
        }
        System.err.println("kafka at " + bootstrap + " not ready: " + lastError);
        System.exit(1);
    }

    /**
     * A cluster is ready once every partition has all its replicas in sync: a broker just restarted
     * has caught up, so the cluster survives the loss of another (a rolling restart waits for this).
     */
    private static void inSync(Admin admin) throws Exception {
        Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(5, TimeUnit.SECONDS);
        Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
        long behind = topics.values().stream()
                .flatMap(t -> t.partitions().stream())
                .filter(p -> p.isr().size() < p.replicas().size())
                .count();
        if (behind > 0) {
            throw new IllegalStateException(behind + " partitions have replicas out of sync");
        }
    }

    private static Properties clientConfig() throws IOException {
        Properties props = new Properties();
        String file = System.getProperty("legato.kafka.client.config", "");
        if (!file.isEmpty() && Files.isRegularFile(Path.of(file))) {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                props.load(in);
            }
        }
        return props;
    }
}
