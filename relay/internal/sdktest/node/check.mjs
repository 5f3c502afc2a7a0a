// Reads a streamkit relay with an official SDK's own stream parser and
// prints, as one JSON line, what the SDK made of it. Run by the Go tests of
// relay/internal/sdktest: node check.mjs MODE BASE_URL
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { parseJsonEventStream, readUIMessageStream, uiMessageChunkSchema } from 'ai';

const [mode, base] = process.argv.slice(2);

function failure(e) {
  return { error: e?.constructor?.name ?? 'Error', status: e?.status ?? null, message: String(e?.message ?? e) };
}

async function chat() {
  const client = new OpenAI({ baseURL: base, apiKey: 'test-key', maxRetries: 0 });
  const out = { text: '', chunks: 0, usage: null, finish: null };
  try {
    const stream = await client.chat.completions.create({
      model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true },
    });
    for await (const c of stream) {
      out.chunks++;
      out.text += c.choices[0]?.delta?.content ?? '';
      if (c.choices[0]?.finish_reason) out.finish = c.choices[0].finish_reason;
      if (c.usage) out.usage = c.usage;
    }
  } catch (e) {
    Object.assign(out, failure(e));
  }
  return out;
}

async function responses() {
  const client = new OpenAI({ baseURL: base, apiKey: 'test-key', maxRetries: 0 });
  const out = { text: '', types: [], sequence: [] };
  try {
    const stream = await client.responses.create({ model: 'm', input: 'hi', stream: true });
    for await (const ev of stream) {
      out.types.push(ev.type);
      out.sequence.push(ev.sequence_number);
      if (ev.type === 'response.output_text.delta') out.text += ev.delta;
    }
  } catch (e) {
    Object.assign(out, failure(e));
  }
  return out;
}

async function messagesStream() {
  const client = new Anthropic({ baseURL: base, apiKey: 'test-key', maxRetries: 0 });
  const out = { text: '', stop: null, usage: null };
  try {
    const stream = client.messages.stream({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    const msg = await stream.finalMessage();
    out.text = msg.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    out.stop = msg.stop_reason;
    out.usage = msg.usage.output_tokens;
  } catch (e) {
    Object.assign(out, failure(e));
  }
  return out;
}

async function messagesCreate() {
  const client = new Anthropic({ baseURL: base, apiKey: 'test-key', maxRetries: 0 });
  const out = { text: '', types: [] };
  try {
    const stream = await client.messages.create({ model: 'm', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const ev of stream) {
      out.types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') out.text += ev.delta.text;
    }
  } catch (e) {
    Object.assign(out, failure(e));
  }
  return out;
}

async function ui() {
  const out = { header: null, text: '', parts: [], chunks: [] };
  try {
    const resp = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    out.status = resp.status;
    out.header = resp.headers.get('x-vercel-ai-ui-message-stream');
    const chunks = parseJsonEventStream({ stream: resp.body, schema: uiMessageChunkSchema }).pipeThrough(
      new TransformStream({
        transform(result, controller) {
          if (!result.success) throw result.error;
          out.chunks.push(result.value.type);
          controller.enqueue(result.value);
        },
      }),
    );
    let last;
    for await (const m of readUIMessageStream({ stream: chunks, terminateOnError: true })) last = m;
    out.id = last?.id ?? null;
    out.parts = (last?.parts ?? []).map((p) => p.type);
    out.text = (last?.parts ?? []).filter((p) => p.type === 'text').map((p) => p.text).join('');
  } catch (e) {
    Object.assign(out, failure(e));
  }
  return out;
}

const modes = { chat, responses, 'messages-stream': messagesStream, 'messages-create': messagesCreate, ui };
if (!modes[mode]) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
console.log(JSON.stringify(await modes[mode]()));
