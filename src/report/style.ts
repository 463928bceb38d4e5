// The report's stylesheet, inlined in the page: system fonts only, so nothing is fetched.
export const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f6f7f9;color:#1d2433;
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 12px}
section{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:16px 18px;margin:16px 0}
.sub,.muted{color:#667085}
.muted{font-size:13px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
code{overflow-wrap:anywhere}
pre{background:#f3f4f6;padding:10px 12px;border-radius:6px;overflow-x:auto;line-height:1.3}
.notes{background:#fff4e5;border:2px solid #f59e0b}
.notes h2{color:#92400e}
.notes ul{margin:0;padding-left:22px}
.notes li{font-size:16px;font-weight:600;color:#7c2d12;margin:4px 0}
.headline{display:flex;flex-wrap:wrap;gap:12px;background:none;border:none;padding:0}
.card{flex:1 1 200px;background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:14px 16px}
.card.test{flex:1.4 1 260px;border:2px solid #2563eb}
.big{font-size:44px;font-weight:700;color:#1d4ed8;line-height:1.1}
.mid{font-size:26px;font-weight:700;color:#334155}
table{border-collapse:collapse}
.kv th{text-align:left;padding:4px 16px 4px 0;color:#475467;font-weight:600;vertical-align:top}
.kv td{padding:4px 0}
.grid th,.grid td{border:1px solid #e2e5ea;padding:4px 8px;text-align:left}
.grid thead th{background:#f3f4f6}
.grid.num td{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
.epochs{max-height:300px;overflow-y:auto;display:inline-block;max-width:100%;
  border:1px solid #e2e5ea}
.epochs .grid{border:none}
.epochs thead th{position:sticky;top:0}
.badge{display:inline-block;font-size:12px;font-weight:600;border-radius:10px;padding:1px 8px;
  vertical-align:middle}
.badge.done{background:#dcfce7;color:#166534}
.badge.running{background:#fef3c7;color:#92400e}
.badge.pending{background:#e5e7eb;color:#374151}
.warn{color:#b91c1c}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px;
  margin:0 0 12px}
.charts figure{margin:0}
svg.plot{width:100%;height:auto;display:block}
.thumbs{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px}
.thumb{margin:0;border:1px solid #e2e5ea;border-radius:6px;padding:8px;font-size:12px}
.thumb img,.noimg{display:block;width:96px;height:96px;object-fit:contain;margin:0 auto 6px;
  background:#f3f4f6}
.noimg{display:flex;align-items:center;justify-content:center;text-align:center;color:#98a2b3}
.thumb figcaption b,.thumb figcaption span{display:block;word-break:break-all}
.thumb figcaption span{color:#667085}
details{margin:8px 0}
summary{cursor:pointer;font-weight:600}
footer{color:#98a2b3;font-size:12px;text-align:center}
`;
