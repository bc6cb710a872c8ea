/**
 * One self-rewriting status line on a terminal (`\r`), at most four updates a second, so a
 * million-row export shows where it is without flooding the terminal or slowing the export.
 */
export class ProgressLine {
  private lastDraw = 0;
  private readonly startedAt = Date.now();
  private current = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number,
  ) {}

  update(done: number): void {
    this.current = done;
    const now = Date.now();
    if (now - this.lastDraw < 250) return;
    this.lastDraw = now;
    this.draw();
  }

  finish(what: string): void {
    this.draw();
    const seconds = (Date.now() - this.startedAt) / 1000;
    this.out.write(`\r\x1b[2K${this.current} ${what} in ${seconds.toFixed(1)} s\n`);
  }

  private draw(): void {
    const pct = this.total > 0 ? ` (${Math.floor((this.current / this.total) * 100)}%)` : '';
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? `, ${Math.round(this.current / seconds)} rows/s` : '';
    this.out.write(`\r\x1b[2K${this.current}/${this.total}${pct}${rate}`);
  }
}
