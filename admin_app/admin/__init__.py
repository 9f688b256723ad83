"""The panel: the generated model screens, the dashboard, the pages over ops/ and jobs/."""
