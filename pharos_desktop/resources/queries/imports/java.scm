; Pharos import query for Java: classes by package path. Capture names: imports/python.scm.

(import_declaration (scoped_identifier) @import.module (asterisk) @import.wildcard)
(import_declaration (scoped_identifier) @import.module)
