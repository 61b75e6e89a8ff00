; Pharos import query for Python: what a file imports, for the map of the code (engine/graph).
;
; Capture names (shared by every file in this folder; one match per imported module):
;   @import.module    a module or path, resolved inside the repository by the language's rules
;   @import.relative  a path relative to the importing file (Ruby require_relative, a shell's source)
;   @import.name      a name imported from the module (Python "from m import n": n may be a module too)
;   @import.wildcard  the statement imports everything in a package (Java "a.b.*")
;   @import.mod       a Rust "mod x;" that names the file x.rs or x/mod.rs beside this one
;   @import.use       a Rust use tree (its paths are read in engine/parse/imports.py)
;   @import.provides  a namespace this file declares (C#): "using" that namespace imports the file
; A first line "; inherits: <name>" prepends imports/<name>.scm, as in the tag queries.

(import_statement name: (dotted_name) @import.module)
(import_statement name: (aliased_import name: (dotted_name) @import.module))
(import_from_statement
  module_name: (_) @import.module
  name: [(dotted_name) @import.name (aliased_import name: (dotted_name) @import.name)])
(import_from_statement module_name: (_) @import.module (wildcard_import))
