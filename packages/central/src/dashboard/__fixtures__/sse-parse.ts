/** One parsed SSE message: its event name and JSON data, or a comment. */
export interface SseMessage {
  event: string;
  data?: unknown;
  comment?: string;
}

/** Parses complete SSE blocks (separated by a blank line); returns the messages and the unparsed rest. */
export function parseSse(text: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let data: string | undefined;
    let comment: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comment = line.slice(1).trim();
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data = (data === undefined ? '' : `${data}\n`) + line.slice(6);
    }
    if (data !== undefined) messages.push({ event, data: JSON.parse(data) });
    else if (comment !== undefined) messages.push({ event: 'comment', comment });
  }
  return { messages, rest };
}
