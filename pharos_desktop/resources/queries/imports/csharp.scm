; Pharos import query for C#: namespaces, which a "using" imports and a file declares. Capture names:
; imports/python.scm.

(using_directive [(qualified_name) (identifier)] @import.module)
(namespace_declaration name: (_) @import.provides)
(file_scoped_namespace_declaration name: (_) @import.provides)
