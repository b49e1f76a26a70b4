package io.l2c.examples;

import com.google.protobuf.Any;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the L2C event topics from the start up to where each partition ended when it began,
 * and writes one CSV row per record: topic, partition, offset, event type, aggregate id and
 * version, occurred at, event id, the payload as JSON, and the error when a record does not
 * decode (it is kept, not dropped). Needs only the broker and the contracts' descriptor set
 * ({@code GET /contracts/l2c.v1.binpb} on the gateway).
 *
 * <p>{@code --bootstrap HOST:PORT --descriptors l2c.v1.binpb --out events.csv [--topic T ...]}
 */
public final class TopicsToCsv {
  static final String ENVELOPE = "l2c.v1.EventEnvelope";
  /** Each topic's record value (GET /topics on the gateway lists them too). */
  static final Map<String, String> VALUE_TYPES =
      new java.util.LinkedHashMap<>(Map.of(
          "l2c.leads.v1", ENVELOPE,
          "l2c.deals.v1", ENVELOPE,
          "l2c.billing.v1", ENVELOPE,
          "l2c.insights.v1", ENVELOPE,
          "l2c.erp.inbound.v1", "l2c.v1.ErpInboundMessage",
          "l2c.erp.outbound.v1", "l2c.v1.ErpOutboundMessage",
          "l2c.telephony.v1", "l2c.v1.TelephonyInboundMessage",
          "l2c.audit.v1", "l2c.v1.AuditCheckpoint"));
  static final List<String> COLUMNS =
      List.of(
          "topic", "partition", "offset", "event_type", "aggregate_id", "aggregate_version",
          "occurred_at", "event_id", "payload", "error");

  private final Map<String, Descriptor> types = new HashMap<>();
  private final JsonFormat.Printer json;
  private final Descriptor envelope;

  TopicsToCsv(byte[] descriptorSet) throws IOException, DescriptorValidationException {
    Map<String, FileDescriptor> built = new HashMap<>();
    JsonFormat.TypeRegistry.Builder registry = JsonFormat.TypeRegistry.newBuilder();
    // The set lists every file after the files it imports.
    for (FileDescriptorProto proto : FileDescriptorSet.parseFrom(descriptorSet).getFileList()) {
      List<FileDescriptor> imports = new ArrayList<>();
      for (String name : proto.getDependencyList()) {
        imports.add(built.get(name));
      }
      FileDescriptor file = FileDescriptor.buildFrom(proto, imports.toArray(new FileDescriptor[0]));
      built.put(file.getName(), file);
      for (Descriptor type : file.getMessageTypes()) {
        types.put(type.getFullName(), type);
        registry.add(type);
      }
    }
    envelope = types.get("l2c.v1.EventEnvelope");
    json = JsonFormat.printer()
        .usingTypeRegistry(registry.build())
        .preservingProtoFieldNames()
        .omittingInsignificantWhitespace();
  }

  private Object field(Message message, String name) {
    FieldDescriptor field = message.getDescriptorForType().findFieldByName(name);
    return message.getField(field);
  }

  /** The decoded columns of one record's value. */
  Map<String, String> row(byte[] value, String valueType, byte[] key)
      throws InvalidProtocolBufferException {
    if (!ENVELOPE.equals(valueType)) {  // an integration's message: the whole of it is the payload
      Map<String, String> row = new HashMap<>();
      row.put("event_type", valueType);
      row.put("aggregate_id", key == null ? "" : new String(key, StandardCharsets.UTF_8));
      row.put("payload", json.print(
          DynamicMessage.parseFrom(types.get(valueType), value == null ? new byte[0] : value)));
      row.put("error", "");
      return row;
    }
    DynamicMessage message = DynamicMessage.parseFrom(envelope, value == null ? new byte[0] : value);
    Map<String, String> row = new HashMap<>();
    row.put("event_type", (String) field(message, "event_type"));
    row.put("aggregate_id", (String) field(message, "aggregate_id"));
    row.put("aggregate_version", String.valueOf(field(message, "aggregate_version")));
    row.put("event_id", (String) field(message, "event_id"));
    Message occurred = (Message) field(message, "occurred_at");
    long seconds = (Long) field(occurred, "seconds");
    int nanos = (Integer) field(occurred, "nanos");
    row.put("occurred_at", Instant.ofEpochSecond(seconds, nanos).toString());
    Any payload = Any.parseFrom(((Message) field(message, "payload")).toByteString());
    String typeName = payload.getTypeUrl().substring(payload.getTypeUrl().lastIndexOf('/') + 1);
    Descriptor type = types.get(typeName);
    if (type == null) {
      throw new InvalidProtocolBufferException("payload type " + typeName + " is not in the set");
    }
    row.put("payload", json.print(DynamicMessage.parseFrom(type, payload.getValue())));
    row.put("error", "");
    return row;
  }

  static List<ConsumerRecord<byte[], byte[]>> records(String bootstrap, List<String> topics) {
    Properties settings = new Properties();
    settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Map<String, List<PartitionInfo>> present = consumer.listTopics(Duration.ofSeconds(30));
      List<TopicPartition> lanes = new ArrayList<>();
      for (String topic : topics) {
        for (PartitionInfo partition : present.getOrDefault(topic, List.of())) {
          lanes.add(new TopicPartition(topic, partition.partition()));
        }
      }
      lanes.sort((a, b) -> a.topic().equals(b.topic())
          ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
      consumer.assign(lanes);
      consumer.seekToBeginning(lanes);
      Map<TopicPartition, Long> ends = consumer.endOffsets(lanes);
      Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byLane = new HashMap<>();
      while (lanes.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          TopicPartition tp = new TopicPartition(record.topic(), record.partition());
          if (record.offset() < ends.get(tp)) {
            byLane.computeIfAbsent(tp, k -> new ArrayList<>()).add(record);
          }
        }
      }
      for (TopicPartition tp : lanes) {
        found.addAll(byLane.getOrDefault(tp, List.of()));
      }
    }
    return found;
  }

  static String csv(String cell) {
    return "\"" + cell.replace("\"", "\"\"") + "\"";
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = null;
    Path descriptors = null;
    Path out = null;
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < args.length - 1; i += 2) {
      switch (args[i]) {
        case "--bootstrap" -> bootstrap = args[i + 1];
        case "--descriptors" -> descriptors = Path.of(args[i + 1]);
        case "--out" -> out = Path.of(args[i + 1]);
        case "--topic" -> topics.add(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (bootstrap == null || descriptors == null || out == null) {
      System.err.println(
          "usage: TopicsToCsv --bootstrap HOST:PORT --descriptors l2c.v1.binpb --out F.csv [--topic T]");
      System.exit(2);
    }
    TopicsToCsv decoder = new TopicsToCsv(Files.readAllBytes(descriptors));
    List<String> reading = topics.isEmpty() ? new ArrayList<>(VALUE_TYPES.keySet()) : topics;
    int written = 0;
    int failed = 0;
    try (Writer writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      writer.write(String.join(",", COLUMNS) + "\r\n");
      for (ConsumerRecord<byte[], byte[]> record : records(bootstrap, reading)) {
        Map<String, String> row;
        try {
          row = decoder.row(
              record.value(), VALUE_TYPES.getOrDefault(record.topic(), ENVELOPE), record.key());
        } catch (InvalidProtocolBufferException | RuntimeException e) {
          failed++;
          row = new HashMap<>(Map.of("error", e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
        row.put("topic", record.topic());
        row.put("partition", String.valueOf(record.partition()));
        row.put("offset", String.valueOf(record.offset()));
        List<String> cells = new ArrayList<>();
        for (String column : COLUMNS) {
          cells.add(csv(row.getOrDefault(column, "")));
        }
        writer.write(String.join(",", cells) + "\r\n");
        written++;
      }
    }
    System.out.printf("%d records from %d topics to %s (%d undecodable)%n",
        written, reading.size(), out, failed);
  }
}
