import type { FastifyPluginAsync } from 'fastify';
import type { CallExportService, ExportInput } from '../exports/call-export-service.js';
import type { SourceReportInput, SourceReportService } from '../exports/source-report.js';
import { InvalidInputError } from '../errors.js';

type ExportQuery = Omit<ExportInput, 'bom' | 'raw'> & { bom?: string; raw?: string };

/**
 * `bom=1` / `raw=1`. Anything but 1/true/0/false is refused rather than read as "on": `raw=no`
 * must never turn the spreadsheet formula guard off.
 */
function flag(name: 'bom' | 'raw', v: string | undefined): boolean {
  if (v === undefined || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new InvalidInputError(`${name}: ${JSON.stringify(v)} is not a flag; use ${name}=1 (or leave it out)`, { field: name });
}

/** `GET /v1/calls.csv` (the same filters and options as `calltrack export calls`) and `GET /v1/reports/sources`. */
export function adminExportRoutes(exports: CallExportService, reports: SourceReportService): FastifyPluginAsync {
  return async (app) => {
    app.get('/v1/calls.csv', async (req, reply) => {
      const q = req.query as ExportQuery;
      // Validated before the first byte: a bad parameter is a 400, never a truncated file.
      const prepared = exports.prepare({ ...q, bom: flag('bom', q.bom), raw: flag('raw', q.raw) });
      const stream = prepared.open();
      stream.on('error', (err) => req.log.error({ err }, 'CSV export failed part-way; the client gets a truncated file'));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${prepared.fileName}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    });

    app.get('/v1/reports/sources', async (req) => reports.run(req.query as SourceReportInput));
  };
}
