"""The HTML of ``report.html``: one self-contained page (inline CSS, images as data URIs)."""

from __future__ import annotations

import jinja2

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { padding: 18px 28px; color: white; }
header.pass { background: #2e7d32; } header.fail { background: #c62828; } header.none { background: #546e7a; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header .meta { font-size: 13px; opacity: .9; }
header .score { float: right; text-align: right; font-size: 13px; }
header .score b { display: block; font-size: 30px; }
header .score.privacy { margin-right: 28px; }
main { padding: 8px 28px 40px 28px; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
h3 { margin-bottom: 6px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: bold; padding: 1px 6px; border-radius: 3px; color: white; font-size: 11px; }
.status.pass { background: #2e7d32; } .status.warn { background: #ef6c00; }
.status.fail, .status.error { background: #c62828; } .status.skipped { background: #78909c; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; border: 1px solid #eee; padding: 6px; background: #fff; }
figcaption { font-size: 12px; color: #555; max-width: 560px; }
.note { color: #777; font-size: 13px; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>shive fidelity report: {{ project }}</title>
<style>{{ css }}</style>
</head>
<body>
<header class="{{ verdict_class }}">
  <div class="score">fidelity score<b>{{ fmt(score, 3) }}</b></div>
  {% if headline %}{% set em = headline.exact_match %}{% set cr = headline.closest_record %}
  <div class="score privacy" id="privacy-headline">
    <span title="synthetic rows equal to a real row (real rows equal to another real row)">exact matches<b>{{ pct(em.synthetic_share if em else none) }}</b>real {{ pct(em.holdout_share if em else none) }}{% if em %} · <span class="status {{ em.status }}">{{ em.status|upper }}</span>{% endif %}</span>
  </div>
  <div class="score privacy">
    <span title="synthetic rows closer to a real row than the real rows' cut-off (real rows' own share)">closest record<b>{{ pct(cr.synthetic_share if cr else none) }}</b>real {{ pct(cr.holdout_share if cr else none) }}{% if cr %} · <span class="status {{ cr.status }}">{{ cr.status|upper }}</span>{% endif %}</span>
  </div>
  {% endif %}
  <h1>{{ verdict_text }} · {{ project }}</h1>
  <div class="meta">target: {{ target }} · generated {{ generated_at }}
  {% if counts %} · PASS={{ counts.pass }} WARN={{ counts.warn }} FAIL={{ counts.fail }}
  ERROR={{ counts.error }} SKIP={{ counts.skipped }}{% endif %}</div>
</header>
<main>
<h2>Tables</h2>
<table>
  <tr><th>table</th><th>real rows</th><th>synthetic rows</th><th>score</th><th>tests</th></tr>
  {% for t in tables %}
  <tr><td><a href="#table-{{ t.name }}">{{ t.name }}</a></td>
      <td class="num">{{ t.real_rows if t.real_rows is not none else "" }}</td>
      <td class="num">{{ t.synthetic_rows if t.synthetic_rows is not none else "" }}</td>
      <td class="num">{{ fmt(t.score, 3) }}</td>
      <td>{% for status, n in t.counts.items() if n %}<span class="status {{ status }}">{{ status|upper }} {{ n }}</span> {% endfor %}</td></tr>
  {% endfor %}
</table>

{% for t in tables %}
<h2 id="table-{{ t.name }}">{{ t.name }}</h2>
{% if t.error %}<p class="note">synthetic data unavailable: {{ t.error }}</p>{% endif %}
{% if t.columns %}
<table>
  <tr><th>column</th><th>kind</th><th>null rate real / synthetic</th><th>mean real / synthetic</th>
      <th>std real / synthetic</th><th>tests</th></tr>
  {% for c in t.columns %}
  <tr><td>{{ c.name }}</td><td>{{ c.kind }}</td>
      <td class="num">{{ fmt(c.real.null_rate) }} / {{ fmt(c.synthetic.null_rate) }}</td>
      <td class="num">{{ fmt(c.real.mean) }} / {{ fmt(c.synthetic.mean) }}</td>
      <td class="num">{{ fmt(c.real.std) }} / {{ fmt(c.synthetic.std) }}</td>
      <td>{% for r in c.tests %}<span class="status {{ r.status }}" title="{{ r.name }}">{{ r.kind }}</span> {% endfor %}</td></tr>
  {% endfor %}
</table>
{% endif %}
{% if t.plots %}
<h3>Distributions</h3>
<div class="plots">
{% for p in t.plots %}
  <figure><img alt="{{ p.caption }}" src="data:image/png;base64,{{ p.png }}"><figcaption>{{ p.caption }}</figcaption></figure>
{% endfor %}
</div>
{% endif %}
{% if t.correlation_plot %}
<h3>Correlations</h3>
<figure><img alt="correlations of {{ t.name }}" src="data:image/png;base64,{{ t.correlation_plot }}">
<figcaption>Pearson correlations: real from the profile, synthetic from a sample of {{ sample_rows }} rows.</figcaption></figure>
{% endif %}
{% if t.child_plots %}
<h3>Children per parent</h3>
<div class="plots">
{% for p in t.child_plots %}
  <figure><img alt="{{ p.caption }}" src="data:image/png;base64,{{ p.png }}"><figcaption>{{ p.caption }}</figcaption></figure>
{% endfor %}
</div>
{% endif %}
{% endfor %}

<h2 id="privacy">Privacy</h2>
{% if privacy %}
<p class="note">Measured by <code>shive test</code> against a seeded sample of the real rows (as training
saw them, PII actions applied), on the columns the model learns. The baseline is the real rows themselves,
each measured against the other real rows: a generator that copies nothing looks like that.
Exact match: share of rows equal to a real row. Distance to closest record (DCR): Gower distance to the
nearest real row, 0 (a copy) to 1; "closer" is the share of rows nearer to a real row than the real
rows' low quantile (about 5% of real rows by construction).</p>
<table>
  <tr><th rowspan="2">table</th><th colspan="3">exact match</th><th colspan="{{ quantiles|length + 2 }}">distance to closest record</th></tr>
  <tr><th>synthetic</th><th>real</th><th>verdict</th>
      {% for q in quantiles %}<th>{{ q }} synthetic / real</th>{% endfor %}<th>closer synthetic / real</th><th>verdict</th></tr>
  {% for table, p in privacy.items() %}
  {% set em = p.exact_match %}{% set d = p.dcr %}
  <tr><td>{{ table }}</td>
    {% if em %}
      <td class="num">{{ pct(em.synthetic_share) }}</td><td class="num">{{ pct(em.holdout_share) }}</td>
      <td><span class="status {{ em.status }}" title="{{ em.message or '' }}">{{ em.status|upper }}</span></td>
    {% else %}<td colspan="3" class="note">not tested</td>{% endif %}
    {% if d %}
      {% for q in quantiles %}
      <td class="num">{{ fmt(d.synthetic[q] if d.synthetic else none, 3) }} / {{ fmt(d.holdout[q] if d.holdout else none, 3) }}</td>
      {% endfor %}
      <td class="num">{% if d.closer %}{{ pct(d.closer.synthetic_share) }} / {{ pct(d.closer.holdout_share) }}{% else %}–{% endif %}</td>
      <td><span class="status {{ d.status }}" title="{{ d.message or '' }}">{{ d.status|upper }}</span></td>
    {% else %}<td colspan="{{ quantiles|length + 2 }}" class="note">not tested</td>{% endif %}
  </tr>
  {% endfor %}
</table>
<ul class="note">
{% for table, p in privacy.items() %}{% for kind in ("exact_match", "dcr") %}{% if p[kind] and p[kind].message %}
  <li>{{ table }} {{ kind }}: {{ p[kind].message }}</li>
{% endif %}{% endfor %}{% endfor %}
</ul>
{% else %}
<p class="note">No privacy test results{% if results %} (privacy tests were off or no table is learned){% else %}: run <code>shive test</code> first{% endif %}.</p>
{% endif %}

<h2 id="tests">Test results</h2>
{% if results %}
<table>
  <tr><th>status</th><th>test</th><th>table</th><th>column</th><th>kind</th><th>severity</th>
      <th>statistic</th><th>threshold</th><th>failures</th><th>message</th></tr>
  {% for r in results %}
  <tr><td><span class="status {{ r.status }}">{{ r.status|upper }}</span></td><td>{{ r.name }}</td>
      <td>{{ r.table }}</td><td>{{ r.column or "" }}</td><td>{{ r.kind }}</td><td>{{ r.severity }}</td>
      <td class="num">{{ fmt(r.statistic) }}</td><td class="num">{{ fmt(r.threshold) }}</td>
      <td class="num">{{ r.failures }}</td><td>{{ r.message or "" }}</td></tr>
  {% endfor %}
</table>
{% else %}
<p class="note">No test results: run <code>shive test</code> before <code>shive report</code>.</p>
{% endif %}
<p class="note">Real-data figures come from the profile's aggregates only (quantiles, top values,
histograms, correlations) and the privacy tests' aggregates; no real row is read or embedded. Generated by synthohive_dbt {{ version }}.</p>
</main>
</body>
</html>
"""


def _pct(value: object) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "–"


def _fmt(value: object, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.{digits}g}"
    return str(value)


_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_TEMPLATE = _ENV.from_string(_PAGE)


def render_page(**context: object) -> str:
    """The report page for ``context`` (see build.py for the keys)."""
    return _TEMPLATE.render(css=_CSS, fmt=_fmt, pct=_pct, **context)
