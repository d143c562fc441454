"""Accounts, roles, login sessions and the audit actor.

:mod:`api.auth.roles` says who may do what in general (roles and scope codes);
:mod:`api.access` holds the one table of every endpoint's rule; :mod:`api.auth.store` reads
and writes accounts and sessions; :mod:`api.auth.actor` tells the audit trigger who acts.
"""
