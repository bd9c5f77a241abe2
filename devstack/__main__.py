from devstack.stack import main

main()
