// The inspector page's stylesheet (inserted by main.ts: the page is served from
// the package's compiled modules, which hold no stylesheet files).

export const STYLE = `
:root { --ink: #1d232b; --muted: #5d6875; --line: #d8dde3; --panel: #f6f8fa; --accent: #1f5fa8; --bad: #b3261e; font: 14px/1.4 system-ui, sans-serif; color: var(--ink); }
body { margin: 0 auto; max-width: 1400px; padding: 12px 20px 40px; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; border-bottom: 1px solid var(--line); padding-bottom: 8px; }
header h1 { font-size: 20px; margin: 0; }
.model-name { color: var(--muted); }
section { margin-top: 18px; }
section > h2 { font-size: 16px; margin: 0 0 6px; }
.hint { color: var(--muted); font-size: 12px; margin: 2px 0 8px; }
.loader, .prompt-form { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-top: 10px; }
.prompt-form textarea { flex: 1 1 500px; min-height: 56px; font: 14px/1.4 ui-monospace, monospace; padding: 6px; }
button { font: inherit; padding: 5px 12px; border: 1px solid var(--accent); background: var(--accent); color: white; border-radius: 4px; cursor: pointer; }
button.secondary { background: white; color: var(--accent); }
button:disabled { opacity: 0.5; cursor: default; }
.error { border: 1px solid var(--bad); background: #fdecea; color: var(--bad); padding: 8px 12px; border-radius: 4px; margin-top: 10px; white-space: pre-wrap; }
.status { color: var(--muted); margin-top: 6px; min-height: 1.4em; }
.tokens { font: 14px/2 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; border: 1px solid var(--line); padding: 8px; border-radius: 4px; max-height: 260px; overflow: auto; }
.token { border-radius: 3px; padding: 1px 0; margin-right: 1px; cursor: default; }
.token:hover { outline: 2px solid var(--accent); }
.legend { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); }
.legend canvas { width: 140px; height: 10px; border: 1px solid var(--line); }
.columns { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
table.next { border-collapse: collapse; font-size: 13px; }
table.next td, table.next th { padding: 2px 8px; text-align: left; border-bottom: 1px solid var(--line); }
table.next td.number { text-align: right; font-variant-numeric: tabular-nums; }
table.next .bar { display: inline-block; height: 9px; background: var(--accent); vertical-align: middle; }
.up { color: #137333; } .down { color: var(--bad); }
.model-view { display: grid; gap: 4px; align-items: center; }
.model-view .label { font-size: 11px; color: var(--muted); text-align: right; padding-right: 4px; }
.thumb { position: relative; border: 2px solid transparent; line-height: 0; cursor: pointer; }
.thumb canvas { width: 64px; height: 64px; image-rendering: pixelated; border: 1px solid var(--line); background: white; }
.thumb.selected { border-color: var(--accent); }
.thumb.ablated canvas { opacity: 0.35; }
.thumb .ablate { position: absolute; right: 1px; top: 1px; padding: 0 4px; font-size: 10px; line-height: 14px; border-radius: 3px; background: white; color: var(--bad); border-color: var(--bad); }
.thumb.ablated .ablate { background: var(--bad); color: white; }
.detail { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
.heatmap { image-rendering: pixelated; border: 1px solid var(--line); background: white; }
.head-view { border: 1px solid var(--line); max-height: 560px; overflow-y: auto; }
.head-view canvas { position: sticky; top: 0; display: block; }
.scroll { overflow: auto; max-width: 100%; border: 1px solid var(--line); }
table.lens { border-collapse: collapse; font: 12px ui-monospace, monospace; }
table.lens td, table.lens th { padding: 2px 4px; min-width: 44px; max-width: 80px; overflow: hidden; text-overflow: ellipsis; white-space: pre; text-align: center; border: 1px solid white; }
table.lens th { font-weight: normal; color: var(--muted); position: sticky; top: 0; background: white; }
table.lens th.row { position: sticky; left: 0; text-align: right; z-index: 1; }
table.lens td.hit { font-weight: bold; }
.controls { display: flex; gap: 16px; flex-wrap: wrap; align-items: center; font-size: 13px; }
.controls label { display: inline-flex; gap: 6px; align-items: center; }
.controls input[type=range] { width: 110px; }
.controls input[type=number] { width: 64px; }
.timeline { display: flex; gap: 8px; overflow-x: auto; padding-bottom: 6px; margin-top: 8px; }
.step { flex: 0 0 auto; width: 170px; border: 1px solid var(--line); border-radius: 4px; padding: 4px 6px; font-size: 12px; }
.step h3 { font: bold 13px ui-monospace, monospace; margin: 0 0 4px; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
.candidate { display: flex; gap: 4px; align-items: center; white-space: pre; font-family: ui-monospace, monospace; }
.candidate .name { flex: 0 0 64px; overflow: hidden; text-overflow: ellipsis; }
.candidate .bar { height: 8px; background: var(--accent); }
.candidate.removed { color: #9aa3ad; text-decoration: line-through; }
.candidate.removed .bar { background: #c9ced4; }
.candidate.chosen { font-weight: bold; outline: 1px solid var(--ink); }
.candidate .cut { font-size: 10px; text-decoration: none; color: var(--muted); }
.generated { font: 14px ui-monospace, monospace; white-space: pre-wrap; margin-top: 6px; }
.tooltip { position: fixed; z-index: 10; background: #1d232b; color: white; padding: 6px 8px; border-radius: 4px; font: 12px/1.4 ui-monospace, monospace; white-space: pre; pointer-events: none; max-width: 520px; }
.ablations { margin: 6px 0; font-size: 13px; }
`;
