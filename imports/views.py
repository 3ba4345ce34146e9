"""Admin screens of the import: upload, dry run, run (in chunks, with or without JavaScript), done.

Every view checks again that the user may import into the job's region (``services.import_target``):
a coordinator's own regions, where they may add pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from opendata.tabular import FORMATS

from . import spreadsheet
from .forms import UploadForm
from .models import ImportJob
from .parsing import COLUMNS, MAX_FILE_BYTES, ImportFileError, read_table
from .services import check_rows, coordinator_regions, import_target, may_import, run_chunk, totals

DOWNLOADS = {
    "template.xlsx": (spreadsheet.template_xlsx, "xlsx"),
    "template.csv": (spreadsheet.template_csv, "csv"),
    "codes.csv": (spreadsheet.codes_csv, "csv"),
}


def require_importer(user):
    if not may_import(user):
        raise PermissionDenied


def download(request, name):
    require_importer(request.user)
    if name not in DOWNLOADS:
        raise Http404
    make, fmt = DOWNLOADS[name]
    response = HttpResponse(make(), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="kb-import-{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ImportView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        require_importer(request.user)
        return super().dispatch(request, *args, **kwargs)


class UploadView(ImportView):
    page_title = gettext_lazy("Import practices")
    template_name = "imports/upload.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=UploadForm(user=request.user)))

    def post(self, request, *args, **kwargs):
        region_code = request.POST.get("region", "")
        if region_code and not coordinator_regions(request.user).filter(code=region_code).exists():
            raise PermissionDenied  # another coordinator's region: refused before anything is read
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        region, language = form.cleaned_data["region"], form.cleaned_data["language"]
        if import_target(request.user, region, language) is None:
            raise PermissionDenied
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_FILE_BYTES:
                raise ImportFileError(_("The file is larger than 2 MB. Split it into smaller files."), status=413)
            rows = read_table(upload.read())
        except ImportFileError as error:
            form.add_error("file", str(error.message))
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        job = ImportJob.objects.create(user=request.user, region=region, language=language,
                                       file_name=upload.name[:255], rows=rows)
        return redirect("imports:report", job.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"].describe()
        context["columns"] = COLUMNS
        context["recent_jobs"] = ImportJob.objects.filter(user=self.request.user).select_related("region").order_by("-pk")[:5]
        return context


class JobMixin:
    def get_job(self):
        job = get_object_or_404(ImportJob.objects.select_related("region"), pk=self.kwargs["pk"])
        if job.user_id != self.request.user.pk:
            raise PermissionDenied
        self.region_page = import_target(self.request.user, job.region, job.language)
        if self.region_page is None:
            raise PermissionDenied
        return job


class ReportView(JobMixin, ImportView):
    """The dry run: what each row will do, or why it will be skipped. Nothing is written."""

    page_title = gettext_lazy("Import practices: dry run")
    template_name = "imports/report.html"

    def get(self, request, *args, **kwargs):
        job = self.get_job()
        if job.started_at:
            return redirect("imports:progress", job.pk)
        results = check_rows(job.rows, job.region, self.region_page)
        return self.render_to_response(self.get_context_data(
            job=job, results=results, totals=totals(results), region_page=self.region_page))


class ProgressView(JobMixin, ImportView):
    template_name = "imports/progress.html"

    def get_page_title(self):
        return _("Import practices: done") if self.job.finished_at else _("Import practices: running")

    def get(self, request, *args, **kwargs):
        self.job = self.get_job()
        return self.render_to_response(self.get_context_data(
            job=self.job, region_page=self.region_page, status_text=progress_text(self.job)))


@require_POST
def run(request, pk):
    """One chunk of the run. The page's script asks for JSON and loops; without it, the "Continue"
    button posts here again and again, each time back to the progress page."""
    require_importer(request.user)
    view = JobMixin()
    view.request, view.kwargs = request, {"pk": pk}
    job = run_chunk(view.get_job(), view.region_page)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({
            "position": job.position, "total": job.total, "done": job.finished_at is not None,
            "status": progress_text(job), "next": reverse("imports:progress", args=(job.pk,)),
        })
    return redirect("imports:progress", job.pk)


def progress_text(job) -> str:
    return _("%(position)s of %(total)s rows handled: %(created)s created, %(updated)s updated, "
             "%(unchanged)s unchanged, %(skipped)s skipped.") % {
        "position": job.position, "total": job.total, "created": job.created, "updated": job.updated,
        "unchanged": job.unchanged, "skipped": job.skipped}
