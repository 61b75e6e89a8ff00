; Pharos import query for Scala: the path is read from the declaration's path fields. Capture names:
; imports/python.scm.

(import_declaration (namespace_wildcard) @import.wildcard) @import.module
(import_declaration (namespace_selectors (identifier) @import.name)) @import.module
(import_declaration) @import.module
