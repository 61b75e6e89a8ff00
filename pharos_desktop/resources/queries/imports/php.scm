; Pharos import query for PHP: "use" of a class (a PSR-4 path), require and include of a file.
; Capture names: imports/python.scm.

(namespace_use_clause) @import.module
[(require_expression) (require_once_expression) (include_expression) (include_once_expression)] @import.relative
