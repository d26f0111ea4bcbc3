import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: process.env.EMBED_URL ?? 'http://127.0.0.1:8080/v1',
  apiKey: process.env.EMBED_API_KEY ?? 'none', // the demo needs no key
});
const { data } = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: ['first chunk', 'second chunk'] });
console.log(data.length, 'vectors of', data[0].embedding.length); // 2 vectors of 384
