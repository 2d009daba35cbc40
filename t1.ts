import { renderTemplate } from './src/render/template.js';
const ctx = (values: any) => ({ image_ref: 'r/x:1', project_name: 'sample', environment: 'dev', namespace: 'ns', values });
for (const [t, v] of [['app.yaml.njk', { replicas: 2, progressDeadlineSeconds: 60, greeting: 'hi', nodeSelector: {} }], ['esc.njk', {}], ['loop.njk', {}], ['mem.njk', {}], ['big.njk', {}], ['inj.njk', { replicas: '1\n---\napiVersion: v1', name: 'ok', cmd: 'a && b < c', obj: { a: [1, { b: 'yes' }], c: {} } }]] as const) {
  const s = Date.now();
  const beat = setInterval(() => process.stdout.write('.'), 200);
  try { const out = await renderTemplate({ root: '/tmp/tpl', displayRoot: 'ops', templatePath: t }, ctx(v)); console.log(t, 'OK', Date.now() - s, JSON.stringify(out.slice(0, 300))); }
  catch (e: any) { console.log(t, e.type, e.message, Date.now() - s); }
  clearInterval(beat);
}
process.exit(0);
