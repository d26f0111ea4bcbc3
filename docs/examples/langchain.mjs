import { OpenAIEmbeddings } from '@langchain/openai';

const embeddings = new OpenAIEmbeddings({
  model: 'all-MiniLM-L6-v2',
  apiKey: process.env.EMBED_API_KEY ?? 'none', // the demo needs no key
  configuration: { baseURL: process.env.EMBED_URL ?? 'http://127.0.0.1:8080/v1' },
});
const vectors = await embeddings.embedDocuments(['first chunk', 'second chunk']);
const query = await embeddings.embedQuery('what is in the first chunk?');
console.log(vectors.length, 'vectors of', vectors[0].length, '; query', query.length); // 2 vectors of 384 ; query 384
