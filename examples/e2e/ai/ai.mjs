// Drives an example server's AI routes with the official clients and
// prints, as one JSON line, what they made of them. Run by examples/e2e's
// Go tests: node ai.mjs MODE SERVER_URL [CHAT_ID]
//
//   chat    the OpenAI SDK streaming a chat completion through /ai/v1
//   ui      useChat's transport (DefaultChatTransport) posting to /api/chat
//   resume  the same, aborted after the first text, then reconnected the
//           AI SDK's way (GET /api/chat/{id}/stream), then once more when
//           the answer is over (expects 204, no stream)
import OpenAI from 'openai';
import { DefaultChatTransport, readUIMessageStream } from 'ai';

const [mode, base, chatId] = process.argv.slice(2);
const prompt = 'hello streamkit';
const userMessage = { id: 'u1', role: 'user', parts: [{ type: 'text', text: prompt }] };

function textOf(message) {
  return (message?.parts ?? []).filter((p) => p.type === 'text').map((p) => p.text).join('');
}

async function lastMessage(stream) {
  let last;
  for await (const m of readUIMessageStream({ stream, terminateOnError: true })) last = m;
  return last;
}

async function chat() {
  const client = new OpenAI({ baseURL: `${base}/ai/v1`, apiKey: 'unused', maxRetries: 0 });
  const stream = await client.chat.completions.create({
    model: 'any', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: prompt }],
  });
  let text = '';
  let usage = null;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    if (c.usage) usage = c.usage.completion_tokens;
  }
  return { text, usage };
}

function transport() {
  return new DefaultChatTransport({ api: `${base}/api/chat` });
}

async function ui() {
  const stream = await transport().sendMessages({
    trigger: 'submit-message', chatId, messageId: undefined, messages: [userMessage], abortSignal: undefined,
  });
  return { text: textOf(await lastMessage(stream)) };
}

async function resume() {
  const t = transport();
  const abort = new AbortController();
  const stream = await t.sendMessages({
    trigger: 'submit-message', chatId, messageId: undefined, messages: [userMessage], abortSignal: abort.signal,
  });
  // Read until the first text arrives, then leave as a closed tab would.
  const reader = stream.getReader();
  let before = '';
  while (!before) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended before any text');
    if (value.type === 'text-delta') before += value.delta;
  }
  abort.abort();
  await reader.cancel().catch(() => {});

  const again = await t.reconnectToStream({ chatId });
  if (again === null) return { error: 'reconnect found no active stream' };
  const text = textOf(await lastMessage(again));
  const after = await t.reconnectToStream({ chatId });
  return { before, text, afterFinished: after === null ? 'none' : 'stream' };
}

const modes = { chat, ui, resume };
try {
  console.log(JSON.stringify(await modes[mode]()));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.message ?? e) }));
}
