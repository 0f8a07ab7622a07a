"""Small helpers shared by the forms of every app."""


def posted(request):
    """(data, files) for binding a form: bound on every POST, even an empty one.

    `request.POST or None` leaves a form unbound when nothing was sent, so an empty
    submission would show no errors; this binds it.
    """
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None
