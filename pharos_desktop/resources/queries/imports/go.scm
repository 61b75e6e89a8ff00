; Pharos import query for Go: packages by import path. Capture names: imports/python.scm.

(import_spec path: (interpreted_string_literal (interpreted_string_literal_content) @import.module))
(import_spec path: (raw_string_literal (raw_string_literal_content) @import.module))
