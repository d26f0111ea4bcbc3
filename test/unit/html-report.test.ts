/** The report page: charts become inline SVG without a browser, text is escaped, nothing is fetched. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderHtmlReport } from '../../tools/report/html-report';

describe('html report', () => {
  test('renders tables and a Vega-Lite chart to a self-contained page', async () => {
    const html = await renderHtmlReport({
      title: 'Load <test>',
      intro: ['a & b'],
      tables: [{ title: 'Summary', columns: ['url', 'p99 ms'], rows: [['http://x/<y>', 12.5]] }],
      charts: [{
        title: 'Latency over time',
        spec: {
          data: { values: [{ t: 0, ms: 10 }, { t: 1, ms: 12 }, { t: 2, ms: 9 }] },
          mark: 'line',
          encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'ms', type: 'quantitative' } },
        },
      }],
    });
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>Load &lt;test&gt;<\/title>/);
    assert.match(html, /<p>a &amp; b<\/p>/);
    assert.match(html, /<td>http:\/\/x\/&lt;y&gt;<\/td><td>12.5<\/td>/);
    assert.match(html, /<svg[^>]*class="marks"/);
    assert.match(html, /<path[^>]* d="M/, 'the line was drawn');
    assert.doesNotMatch(html, /<script|src="http|href="http/);
  });
});
