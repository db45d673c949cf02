// The official OpenAI Node SDK against the gateway, as an agent would use it. Prints one JSON
// object for tests/e2e/test_node_sdk.py. Environment: KAKEHASHI_BASE_URL, KAKEHASHI_API_KEY,
// KAKEHASHI_REQUEST (the request body as JSON, without `stream`).
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.KAKEHASHI_BASE_URL,
  apiKey: process.env.KAKEHASHI_API_KEY,
  maxRetries: 0,
});
const request = JSON.parse(process.env.KAKEHASHI_REQUEST);

const whole = await client.chat.completions.create(request);
const calls = whole.choices[0].message.tool_calls ?? [];

// The README's streaming loop, without optional chaining: a usage chunk with no choices would
// throw a TypeError here.
const plain = { ...request, tools: undefined, stream: true };
let text = "";
for await (const chunk of await client.chat.completions.create(plain)) {
  text += chunk.choices[0].delta.content || "";
}

let streamedArguments = "";
for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
  for (const call of chunk.choices[0].delta.tool_calls ?? []) {
    streamedArguments += call.function?.arguments ?? "";
  }
}

console.log(
  JSON.stringify({
    arguments: calls.map((c) => c.function.arguments),
    text,
    streamedArguments,
  }),
);
