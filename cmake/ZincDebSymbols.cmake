# Script (cmake -P), run after each link of libzmq.so.5: writes the Debian symbols file of package libzinc5
# (deb-symbols(5)) from the symbols the library exports, for dpkg-shlibdeps of programs built against it.
# libzmq's API (zmq_*) maps to "libzmq5 (>= 4.3.4)", which Debian's libzmq5 and zinc's libzinc5 (through its
# Provides) both satisfy; zinc's own additions (zinc_*) map to "libzinc5 (>= ZINC_VERSION)".
# usage: cmake -DNM=nm -DLIB=libzmq.so.5 -DOUT=.../symbols -DZINC_VERSION=0.1.0-1 -P ZincDebSymbols.cmake
execute_process(COMMAND "${NM}" -D --defined-only "${LIB}" OUTPUT_VARIABLE nm_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D ${LIB} failed")
endif()
string(REPLACE "\n" ";" nm_lines "${nm_out}")
set(symbols)
foreach(line IN LISTS nm_lines)
  # "ADDRESS TYPE NAME": functions and data; "A" entries are version nodes, not symbols
  if(line MATCHES "^[0-9a-fA-F]+ [^A] ((zmq|zinc)_[A-Za-z0-9_]+)$")
    set(name "${CMAKE_MATCH_1}")
    if(name MATCHES "^zinc_")
      list(APPEND symbols " ${name}@Base ${ZINC_VERSION} 1")
    else()
      list(APPEND symbols " ${name}@Base 4.3.4")
    endif()
  endif()
endforeach()
list(SORT symbols)
list(JOIN symbols "\n" body)
file(WRITE "${OUT}.new" "libzmq.so.5 libzmq5 #MINVER#\n| libzinc5 #MINVER#\n* Build-Depends-Package: libzinc-dev\n${body}\n")
file(RENAME "${OUT}.new" "${OUT}")
