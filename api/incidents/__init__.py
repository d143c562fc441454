"""Incidents in the database: reporting with automatic placing, the closed loop, reading.

:mod:`api.incidents.placing` finds the grid, community, building and nearest facility of a
location; :mod:`api.incidents.store` writes reports and transitions and reads them back;
:mod:`api.incidents.classes` keeps the classification. Masking of personal fields is
:mod:`api.auth.masking`'s.
"""
