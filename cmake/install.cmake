# Install rules (GNUInstallDirs; the prefix is CMAKE_INSTALL_PREFIX):
#   bin/dronevault
#   libexec/dronevault/dv-reader        (top CMakeLists.txt, when the target exists)
#   share/dronevault/endpoints.tsv      the endpoint list audit has built in
#   share/man/man1/dronevault.1.gz      generated from the commands' --help
#   share/bash-completion/completions/dronevault   generated the same way

install(TARGETS dronevault_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/data/endpoints.tsv
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dronevault)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/data/web DESTINATION ${CMAKE_INSTALL_DATADIR}/dronevault)  # dronevault serve's page

# The man page and the completion come from what the built binary says, so
# they cannot drift from its help text (scripts/gen-docs.sh).
set(DV_DOC_DIR ${CMAKE_BINARY_DIR}/doc)
set(DV_GEN_DOCS ${CMAKE_SOURCE_DIR}/scripts/gen-docs.sh)
set(DV_COMMANDS_DEF ${CMAKE_SOURCE_DIR}/cli/commands.def)
add_custom_command(
  OUTPUT ${DV_DOC_DIR}/dronevault.1 ${DV_DOC_DIR}/dronevault.1.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${DV_DOC_DIR}
  COMMAND ${CMAKE_COMMAND} -E env DV_DATADIR=${CMAKE_INSTALL_FULL_DATADIR}/dronevault
          bash ${DV_GEN_DOCS} man $<TARGET_FILE:dronevault_cli> ${DV_COMMANDS_DEF} ${DV_DOC_DIR}/dronevault.1
  COMMAND gzip -9 -n -f -k ${DV_DOC_DIR}/dronevault.1
  DEPENDS dronevault_cli ${DV_GEN_DOCS} ${DV_COMMANDS_DEF}
  COMMENT "man page dronevault(1) from the commands' --help"
  VERBATIM)
add_custom_command(
  OUTPUT ${DV_DOC_DIR}/dronevault.bash-completion
  COMMAND ${CMAKE_COMMAND} -E make_directory ${DV_DOC_DIR}
  COMMAND bash ${DV_GEN_DOCS} completion $<TARGET_FILE:dronevault_cli> ${DV_COMMANDS_DEF}
          ${DV_DOC_DIR}/dronevault.bash-completion
  DEPENDS dronevault_cli ${DV_GEN_DOCS} ${DV_COMMANDS_DEF}
  COMMENT "bash completion from the commands' --help"
  VERBATIM)
add_custom_target(dronevault_docs ALL
  DEPENDS ${DV_DOC_DIR}/dronevault.1 ${DV_DOC_DIR}/dronevault.1.gz ${DV_DOC_DIR}/dronevault.bash-completion)

install(FILES ${DV_DOC_DIR}/dronevault.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${DV_DOC_DIR}/dronevault.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME dronevault)
