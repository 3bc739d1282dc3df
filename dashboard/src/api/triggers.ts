import { get, post } from "./http";
import type { Trigger, TriggerList } from "./types";

const path = (id: string, op = ""): string => `/triggers/${encodeURIComponent(id)}${op}`;

export async function listTriggers(): Promise<Trigger[]> {
  return (await get<TriggerList>("/triggers")).triggers;
}

export const getTrigger = (id: string): Promise<Trigger> => get<Trigger>(path(id));

export const pauseTrigger = (id: string): Promise<Trigger> => post<Trigger>(path(id, "/pause"));

export const resumeTrigger = (id: string): Promise<Trigger> => post<Trigger>(path(id, "/resume"));
