; Pharos import query for Swift: modules, which are folders of a package (Sources/<Module>). Capture
; names: imports/python.scm.

(import_declaration (identifier) @import.module)
