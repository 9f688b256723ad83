"""The list's exports ("Exportar CSV / XLSX"), mixed into GestaoModelView: the rows the list
filters and sorts, streamed in constant memory (transfer/export.py writes them); an export of
more than `GESTAO_JOB_ROWS` rows is handed to the worker (jobs/)."""

from flask import Response, current_app, redirect, request, send_file, stream_with_context, url_for
from flask_babel import get_locale
from werkzeug.utils import secure_filename

from admin_app.models.jobs import EXPORT
from admin_app.transfer import cells, export


class ExportScreens:
    """Flask-Admin's export view methods, replaced (its own load every row first)."""

    def _export_query(self):
        """The list's query as the request filters, searches and sorts it, every row."""
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        _count, query = self.get_list(0, sort[0] if sort else None, view_args.sort_desc,
                                      view_args.search, view_args.filters, execute=False)
        if self.export_max_rows:
            query = query.limit(self.export_max_rows)
        return query

    def _export_rows_query(self):
        """The export's rows: as plain rows of just the columns it writes when it needs
        nothing else (transfer/cells.py, plain_export), several times faster than mapped
        objects; a related record is then loaded once per key by the cell writer."""
        query = self._export_query()
        if cells.plain_export(self):
            return query.with_entities(*cells.plain_columns(self))
        return query

    def _export_data(self):
        """The export streams: rows are read in batches as the CSV is written, never the
        whole result at once (Flask-Admin's export loads every row first)."""
        query = self._export_rows_query()

        def rows():
            try:
                yield from query.yield_per(500)
            finally:  # end the read (and its server-side cursor) once the file is written
                query.session.rollback()
        return None, rows()

    def _export_in_worker(self, export_type: str):
        """An export of more than `GESTAO_JOB_ROWS` rows is written by the worker (jobs/):
        the user follows it on the job's page and downloads the file from there."""
        from .importing import start_job

        limit = current_app.config["GESTAO_JOB_ROWS"]
        if self._export_query().limit(limit + 1).count() <= limit:
            return None
        job = start_job(EXPORT, self.endpoint, args={
            "format": export_type, "lang": str(get_locale()),
            "query": request.args.to_dict(flat=True), "total": self.get_count_query().scalar()})
        return redirect(url_for("jobs.job_page", job_id=job.id))

    def _export_csv(self, return_url):
        in_worker = self._export_in_worker("csv")
        if in_worker is not None:
            return in_worker
        _count, rows = self._export_data()
        return Response(stream_with_context(export.csv_chunks(self, rows)),
                        mimetype="text/csv", headers=self._attachment("csv"))

    def _export_tablib(self, export_type, return_url):
        """XLSX through openpyxl's write-only mode (Flask-Admin's tablib path holds every
        row in memory); the other tablib formats are not offered."""
        in_worker = self._export_in_worker("xlsx")
        if in_worker is not None:
            return in_worker
        _count, rows = self._export_data()
        return send_file(export.xlsx_file(self, rows), mimetype=export.XLSX_MIMETYPE,
                         as_attachment=True, download_name=self.get_export_name("xlsx"))

    def _attachment(self, extension: str) -> dict:
        return {"Content-Disposition":
                f"attachment; filename={secure_filename(self.get_export_name(extension))}"}
