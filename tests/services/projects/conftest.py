"""Project tests run against the scripted survey (answers chosen by source name)."""

from tests.support import surveys

scripted_survey = surveys.scripted_survey
