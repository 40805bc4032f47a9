// report.html: one self-contained file (inline SVG charts and CSS, no external resources). A small inline script
// checks that every chart laid out and sets document.title to 'charts-ok N' (or 'report-error: ...'), which the
// headless-browser test reads.
import type { Summary } from '../exercise/run';
import type { Chart } from './charts';
import { TABLE_HEADER, pct, tableRows } from './table';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `extraSections`: HTML placed after the charts (the conceptual questions, when they ran). */
export function reportHtml(summary: Summary, charts: Chart[], extraSections = ''): string {
  const rows = tableRows(summary)
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  const answers = summary.answers
    .map(
      (a) =>
        `<li><b>${esc(a.question)}</b> <span class="verdict ${a.verdict}">${a.verdict}</span><br>${esc(a.answer)}</li>`,
    )
    .join('\n');
  const mc = summary.variants.find((v) => v.mc)?.mc;
  const mcTable = mc
    ? `<h2>MC Dropout (alpha-dropout model, ${mc.samples} samples, ${mc.images} test images)</h2>
<table><tr><th>plain accuracy</th><th>MC accuracy</th><th>mean predictive std (chosen class)</th><th>mean std (all classes)</th><th>mean confidence</th><th>most confident 10 %: accuracy</th><th>least confident 10 %: accuracy</th></tr>
<tr><td>${pct(mc.plainAccuracy)}</td><td>${pct(mc.accuracy)}</td><td>${mc.meanPredictiveStd.toFixed(4)}</td><td>${mc.meanStdAllClasses.toFixed(4)}</td><td>${pct(mc.meanConfidence)}</td><td>${pct(mc.mostConfidentDecileAccuracy)}</td><td>${pct(mc.leastConfidentDecileAccuracy)}</td></tr></table>`
    : '';
  const lr = summary.variants
    .map((v) => {
      const rt = v.lrSearch.rangeTest;
      const retried = (retries: typeof v.lrSearch.retries): string =>
        (retries ?? [])
          .map((r) => `; training at ${r.lr} fell to chance level by epoch ${r.collapsedAt} and started over`)
          .join('');
      const sweep = (v.lrSearch.sweep ?? [])
        .map((s) => `${s.lr}: ${Number.isFinite(s.bestValLoss) ? s.bestValLoss.toFixed(4) : 'diverged'}`)
        .join(', ');
      return `<li><b>${esc(v.name)}</b>: ${
        rt
          ? `range test over ${rt.batches} batches: min smoothed loss at ${rt.minLossLr.toPrecision(3)}, steepest descent at ${rt.steepestLr.toPrecision(3)}, suggestion ${rt.suggestedLr.toPrecision(3)}${rt.diverged ? ' (the ramp diverged at the end)' : ''}; sweep (best val_loss): ${sweep}${retried(v.lrSearch.retries)}; chosen <b>${v.lrSearch.chosenLr}</b> in ${v.lrSearch.seconds.toFixed(1)} s.`
          : `lr ${v.lrSearch.chosenLr} given with --lr (no search).`
      }</li>`;
    })
    .join('\n');
  const figures = charts.map((c) => `<figure id="${c.id}">${c.svg}</figure>`).join('\n');
  const o = summary.options;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>torchnode exercise report</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}
figure{display:inline-block;margin:6px}.verdict{padding:0 6px;border-radius:3px;font-size:90%}.yes{background:#d4f4d4}.no{background:#f8d8d8}.n\\/a{background:#eee}
li{margin-bottom:8px}caption{text-align:left;font-weight:600}blockquote{color:#555}code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>CIFAR-10 deep MLP exercise${summary.complete ? '' : ' (incomplete: stopped, continue with --resume)'}</h1>
<p>torchnode ${esc(summary.torchnode)}, libtorch ${esc(summary.libtorch)}, device ${esc(summary.device)}, ${summary.threads} threads (${summary.cpus} CPUs), seed ${summary.seed}.
Data: ${summary.data.train} training, ${summary.data.validation} validation (the first images of the training set), ${summary.data.test} test images${o.quick ? ' (--quick subset)' : ''}.
Nadam, batch ${o.batchSize}, early stopping on val_loss (patience ${o.patience}, best weights restored), at most ${o.epochs} epochs. Wall time ${summary.wallSeconds.toFixed(1)} s.</p>
<h2>Comparison</h2>
<table><tr>${TABLE_HEADER.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${rows}</table>
<h2>The exercise's questions, from these numbers</h2>
<ul>${answers}</ul>
${mcTable}
<h2>Learning-rate search</h2>
<ul>${lr}</ul>
<h2>Charts</h2>
${figures}
${extraSections}
<script>
(function(){
  var errors=[];
  window.addEventListener('error',function(e){errors.push(String(e.message));document.title='report-error: '+errors.join('; ');});
  window.addEventListener('load',function(){
    if(errors.length)return;
    var charts=document.querySelectorAll('svg.chart'),bad=0;
    for(var i=0;i<charts.length;i++){var b=charts[i].getBoundingClientRect();if(!(b.width>0&&b.height>0)||!charts[i].querySelector('path.series'))bad++;}
    document.title=bad?('report-error: '+bad+' chart(s) did not render'):('charts-ok '+charts.length);
  });
})();
</script>
</body></html>
`;
}
