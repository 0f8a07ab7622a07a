"""Printable documents: standalone HTML rendered to PDF by WeasyPrint, loading nothing else."""

from django.utils.translation import gettext as _


class ExportUnavailable(Exception):
    """The PDF cannot be made on this server: WeasyPrint or its Pango library is missing."""


def _refuse_fetching(url, *args, **kwargs):
    raise ValueError("Spolu's documents load no external resources.")


def html_to_pdf(html: str) -> bytes:
    """An A4 PDF of a standalone HTML document; ExportUnavailable without WeasyPrint."""
    try:
        # Imported here so the application starts on a server without Pango.
        import weasyprint
    except (ImportError, OSError) as error:
        raise ExportUnavailable(
            _("PDF export is not available on this server: %(reason)s") % {"reason": error}
        ) from error
    urls = getattr(weasyprint, "urls", None)
    if hasattr(urls, "URLFetcher"):
        # A fetcher that allows no protocol refuses every URL (WeasyPrint with URLFetcher).
        fetcher = urls.URLFetcher(allowed_protocols=())
    else:
        fetcher = _refuse_fetching
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
