/** A worker's language from its Kafka client id `legato-<language>-<workerId>` ("?" otherwise). */
export function languageOf(clientId: string): string {
  const m = /^legato-([a-z]+)-/.exec(clientId);
  return m?.[1] ?? "?";
}
