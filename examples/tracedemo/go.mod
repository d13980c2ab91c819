module example.com/tracedemo

go 1.22
