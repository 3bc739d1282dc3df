/** Kafka header names used on dead letters (values are UTF-8 strings). */

export const DLT_REASON = "legato-dlt-reason";
export const ERROR_TYPE = "legato-error-type";
export const ERROR_MESSAGE = "legato-error-message";
export const SOURCE_TOPIC = "legato-source-topic";
export const SOURCE_PARTITION = "legato-source-partition";
export const SOURCE_OFFSET = "legato-source-offset";
export const WORKER_ID = "legato-worker-id";
export const FAILED_AT = "legato-failed-at";

export const REASON_UNDECODABLE = "undecodable";
