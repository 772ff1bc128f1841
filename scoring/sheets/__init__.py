"""The Excel sheets of the scoring domain, one module per sheet, written and read with
partybuild.xlsx. Reports read from the replica when there is one (`reading_reports`); the
month template, part of data entry, does not.

- `month_template`: the month's entry template, written and read back (导入)
- `points`: every entry of a year (备份)
- `notice`: a published quarter's warnings (预警通报)
- `grades`: the annual grade sheet (年度评级表) and its summary
- `record_sheet`: an organization's year (积分制管理记录表)
"""
