"""resume_automation: restart an automation's triggers that a pause (by an
action or by a person) stopped: `enabled: true`, `paused: null`. Takes the
same settings as pause_automation."""
from chalicelib.actions.pause_automation import PauseAutomationAction


class ResumeAutomationAction(PauseAutomationAction):
    type = "resume_automation"
    pause = False
