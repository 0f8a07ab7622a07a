"""allauth adapter: Spolu has no public sign-up; coordinators add the people they work with."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False
