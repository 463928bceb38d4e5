// Every string in the report that comes from outside the code (paths, file names, summaries,
// titles, notes) goes through here: a data directory may be called `<script>` or `a&b`.

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** HTML-escapes &<>"' — safe in text and in quoted attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}
