module github.com/streamkit/streamkit

go 1.26
