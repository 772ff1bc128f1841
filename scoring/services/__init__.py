"""The writes that touch many rows, one module per sub-domain. Each write is one keyword-only
function in one transaction; a refusal raises `steps.Refused` with a Chinese message.

- `steps`: recorded state changes (who, when, why) and the Refused exception
- `rulesets`: creating and editing a year's rule set (评分细则)
- `points`: checking and recording point cells (the grid, the Excel import, commands)
- `scorecards`: the per-organization, per-year figures kept beside the points
- `periods`: closing and reopening months
- `notices`: publishing a quarter's warning notice (预警通报)
- `rectifications`: the secretary's report and the office's review (整改)
- `grading`: finalizing a year (定级), reopening it, next year's tiers
"""
