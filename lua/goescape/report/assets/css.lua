--- The report page's style sheet (goescape.report.html).
return [==[
:root { --bg:#f7f6f2; --card:#fff; --ink:#1d2330; --mute:#6b7280; --line:#e5e3dc;
  --accent:#b4432b; --accent2:#2f6f9f; --heap:#c2412d; --inl:#2f7d4f; --other:#7a6aa8;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
header.top { position:sticky; top:0; z-index:5; display:flex; align-items:center; gap:18px;
  padding:10px 24px; background:#1d2330; color:#f3efe6; box-shadow:0 1px 4px rgba(0,0,0,.25); }
header .brand { font-weight:700; letter-spacing:.04em; color:#f0a58f; }
header h1 { font-size:16px; font-weight:500; margin:0; flex:1; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
nav a { color:#d9d4c7; text-decoration:none; margin-left:14px; font-size:13px; }
nav a:hover { color:#fff; }
main { max-width:1360px; margin:0 auto; padding:18px 24px 60px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 20px; margin:0 0 20px; }
section > h2 { font-size:17px; margin:0 0 12px; }
.sub { color:var(--mute); font-size:12.5px; }
.errors { background:#fde8e4; color:#8a1c0c; padding:8px 24px; font-family:var(--mono); white-space:pre-wrap; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:14px; }
.card { flex:1 1 160px; border:1px solid var(--line); border-radius:8px; padding:10px 14px; background:#fbfaf7; }
.card .v { font-size:22px; font-weight:650; }
.card .k { color:var(--mute); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(460px, 1fr)); gap:18px; }
.grid h3 { font-size:14px; margin:4px 0 8px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--mute); font-weight:600; text-transform:uppercase; letter-spacing:.03em; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.bars td { border:0; padding:3px 6px; }
.bars td:first-child { white-space:nowrap; }
.grid > div { min-width:0; overflow-x:auto; }
.bar { position:relative; height:14px; background:#f0ede6; border-radius:3px; min-width:120px; }
.bar > span { position:absolute; left:0; top:0; bottom:0; border-radius:3px; background:var(--accent); opacity:.8; }
.bar.blue > span { background:var(--accent2); }
.bar.neg > span { background:#3b8b5a; }
code, .mono { font-family:var(--mono); font-size:12.5px; }
.toolbar { display:flex; flex-wrap:wrap; gap:10px; align-items:center; margin-bottom:10px; }
.toolbar input[type=search] { padding:6px 10px; border:1px solid #cfcabd; border-radius:6px; min-width:320px; font:inherit; }
button { font:inherit; font-size:12.5px; padding:4px 10px; border:1px solid #cfcabd; background:#fff; border-radius:6px; cursor:pointer; }
button:hover { background:#f3f0e8; }
#hot th[data-key] { cursor:pointer; user-select:none; }
#hot th.sorted::after { content:" \25BE"; }
#hot th.sorted.asc::after { content:" \25B4"; }
#hot tr.row { cursor:pointer; }
#hot tr.row:hover { background:#faf6ec; }
#hot tr.row.open { background:#f6efe0; }
#hot td.loc { font-family:var(--mono); font-size:12.5px; }
#hot td.fn { font-family:var(--mono); font-size:12px; color:#374151; max-width:340px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.pct { display:inline-block; width:60px; height:8px; background:#f0ede6; border-radius:2px; margin-left:6px; vertical-align:middle; position:relative; }
.pct > span { position:absolute; left:0; top:0; bottom:0; background:var(--accent); border-radius:2px; }
.badge { display:inline-block; font-size:11px; padding:1px 7px; border-radius:10px; background:#eee; color:#333; white-space:nowrap; margin:1px 2px; }
.badge.escape { background:#fbe3dd; color:#8e2a17; }
.badge.inline { background:#dff1e6; color:#1f5e3a; }
.badge.other { background:#ebe7f5; color:#4b3d7a; }
.badge.reason { background:#fff1cc; color:#6b4e00; }
tr.detail > td { background:#fcfbf8; padding:12px 18px 16px; }
.diag { border-left:3px solid var(--line); padding:6px 12px; margin:6px 0 12px; }
.diag.heap { border-left-color:var(--heap); }
.diag .msg { font-family:var(--mono); font-size:13px; }
ol.flowchain { margin:6px 0; padding-left:22px; font-family:var(--mono); font-size:12.5px; }
ol.flowchain li.hop { color:#1d4f7a; margin-top:3px; }
ol.flowchain li.from { color:#374151; list-style:none; margin-left:14px; }
ol.flowchain .why { color:#8e2a17; }
.advice { background:#fff8e6; border:1px solid #f1dfae; border-radius:8px; padding:8px 12px; margin:8px 0; }
.advice b { color:#6b4e00; }
.flowgraph { overflow-x:auto; border:1px dashed var(--line); border-radius:8px; margin:8px 0; background:#fff; }
.flowgraph svg text { font-family:var(--mono); font-size:11.5px; }
details.src { border:1px solid var(--line); border-radius:8px; margin:8px 0; }
details.src > summary { cursor:pointer; padding:7px 12px; font-family:var(--mono); font-size:13px; background:#fbfaf7; border-radius:8px; }
table.src td { border:0; padding:0 8px; font-family:var(--mono); font-size:12.5px; white-space:pre; }
table.src tr.gap td { color:#b8b3a7; padding:2px 8px; }
table.src td.ln { color:#9aa0a6; text-align:right; user-select:none; }
table.src tr.hotline { background:#fdf0ea; }
table.src tr.target { outline:2px solid var(--accent2); }
table.src td.ann { white-space:normal; font-family:inherit; font-size:11.5px; }
table.src td.cost { color:var(--accent); text-align:right; }
#flame svg { width:100%; display:block; }
#flame rect { stroke:#fff; stroke-width:.6; cursor:pointer; }
#flame rect.match { fill:#d946ef !important; }
#flame text { font-family:var(--mono); font-size:11px; pointer-events:none; fill:#111; }
#flameinfo { font-family:var(--mono); font-size:12.5px; min-height:20px; color:#374151; }
.plus { color:#b4432b; } .minus { color:#2f7d4f; }
.empty { color:var(--mute); font-style:italic; }
]==]
