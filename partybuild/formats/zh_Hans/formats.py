# Money on the pages groups thousands with commas (20,000 元), as the sheets handed upward do;
# Django's zh-hans formats group nothing. Only values formatted with floatformat's "g" group.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
