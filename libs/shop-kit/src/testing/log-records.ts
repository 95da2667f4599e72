/**
 * When a process logged the first record containing `text`, by the record's own clock (pino's
 * `time`): the order of lines in captured output can differ from the order they were written.
 */
export function loggedAt(output: string, text: string): number {
  const line = output.split('\n').find((candidate) => candidate.includes(text));
  if (!line) throw new Error(`nothing logged "${text}"`);
  return (JSON.parse(line) as { time: number }).time;
}
